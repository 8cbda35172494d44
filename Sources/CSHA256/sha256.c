#include "csha256.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define CSHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* ---- Portable compression: the FIPS 180-4 rounds as written. ---- */

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        for (int t = 0; t < 16; t++) w[t] = load_be32(data + 4 * t);
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            uint32_t ch = (e & f) ^ (~e & g);
            uint32_t t1 = h + S1 + ch + K[t] + w[t];
            uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
            uint32_t t2 = S0 + maj;
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        data += 64;
    }
}

/* ---- x86-64 SHA extensions: four rounds per pair of sha256rnds2. ---- */

#ifdef CSHA256_X86
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Rounds 4g…4g+3 of the state (abef, cdgh) with message words `msg`. */
#define SHANI_ROUNDS_OF(abef, cdgh, msg, g) do { \
        __m128i m = _mm_add_epi32((msg), _mm_loadu_si128((const __m128i *)&K[4 * (g)])); \
        (cdgh) = _mm_sha256rnds2_epu32((cdgh), (abef), m); \
        m = _mm_shuffle_epi32(m, 0x0E); \
        (abef) = _mm_sha256rnds2_epu32((abef), (cdgh), m); \
    } while (0)
#define SHANI_ROUNDS(msg, g) SHANI_ROUNDS_OF(abef, cdgh, msg, g)

/* The next four message words from the previous sixteen (w0 oldest). */
#define SHANI_SCHEDULE(w0, w1, w2, w3) \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

SHANI_TARGET
static void compress_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    /* The state as the instructions want it: ABEF and CDGH. */
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i badc = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(badc, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xF0);
    while (blocks--) {
        __m128i abef_before = abef, cdgh_before = cdgh;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteswap);
        SHANI_ROUNDS(w0, 0);
        SHANI_ROUNDS(w1, 1);
        SHANI_ROUNDS(w2, 2);
        SHANI_ROUNDS(w3, 3);
        for (int g = 4; g < 16; g += 4) {
            w0 = SHANI_SCHEDULE(w0, w1, w2, w3); SHANI_ROUNDS(w0, g);
            w1 = SHANI_SCHEDULE(w1, w2, w3, w0); SHANI_ROUNDS(w1, g + 1);
            w2 = SHANI_SCHEDULE(w2, w3, w0, w1); SHANI_ROUNDS(w2, g + 2);
            w3 = SHANI_SCHEDULE(w3, w0, w1, w2); SHANI_ROUNDS(w3, g + 3);
        }
        abef = _mm_add_epi32(abef, abef_before);
        cdgh = _mm_add_epi32(cdgh, cdgh_before);
        data += 64;
    }
    /* Back to A…H in memory order. */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* The state in memory order (A…H) to the instructions' order (ABEF, CDGH) and back. */
SHANI_TARGET
static inline void shani_load(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
    __m128i badc = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    *abef = _mm_alignr_epi8(badc, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, badc, 0xF0);
}

SHANI_TARGET
static inline void shani_store(uint32_t state[8], __m128i abef, __m128i cdgh) {
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* One block of each of two independent messages, their rounds interleaved:
   a round waits for the one before it, so a second message fills the time
   the first would leave the SHA unit idle. */
SHANI_TARGET
static void compress_shani_x2(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef_a, cdgh_a, abef_b, cdgh_b;
    shani_load(state_a, &abef_a, &cdgh_a);
    shani_load(state_b, &abef_b, &cdgh_b);
    __m128i abef_a0 = abef_a, cdgh_a0 = cdgh_a, abef_b0 = abef_b, cdgh_b0 = cdgh_b;
    __m128i a0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 0)), byteswap);
    __m128i a1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 16)), byteswap);
    __m128i a2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 32)), byteswap);
    __m128i a3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 48)), byteswap);
    __m128i b0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 0)), byteswap);
    __m128i b1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16)), byteswap);
    __m128i b2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 32)), byteswap);
    __m128i b3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 48)), byteswap);
    SHANI_ROUNDS_OF(abef_a, cdgh_a, a0, 0); SHANI_ROUNDS_OF(abef_b, cdgh_b, b0, 0);
    SHANI_ROUNDS_OF(abef_a, cdgh_a, a1, 1); SHANI_ROUNDS_OF(abef_b, cdgh_b, b1, 1);
    SHANI_ROUNDS_OF(abef_a, cdgh_a, a2, 2); SHANI_ROUNDS_OF(abef_b, cdgh_b, b2, 2);
    SHANI_ROUNDS_OF(abef_a, cdgh_a, a3, 3); SHANI_ROUNDS_OF(abef_b, cdgh_b, b3, 3);
    for (int g = 4; g < 16; g += 4) {
        a0 = SHANI_SCHEDULE(a0, a1, a2, a3); b0 = SHANI_SCHEDULE(b0, b1, b2, b3);
        SHANI_ROUNDS_OF(abef_a, cdgh_a, a0, g); SHANI_ROUNDS_OF(abef_b, cdgh_b, b0, g);
        a1 = SHANI_SCHEDULE(a1, a2, a3, a0); b1 = SHANI_SCHEDULE(b1, b2, b3, b0);
        SHANI_ROUNDS_OF(abef_a, cdgh_a, a1, g + 1); SHANI_ROUNDS_OF(abef_b, cdgh_b, b1, g + 1);
        a2 = SHANI_SCHEDULE(a2, a3, a0, a1); b2 = SHANI_SCHEDULE(b2, b3, b0, b1);
        SHANI_ROUNDS_OF(abef_a, cdgh_a, a2, g + 2); SHANI_ROUNDS_OF(abef_b, cdgh_b, b2, g + 2);
        a3 = SHANI_SCHEDULE(a3, a0, a1, a2); b3 = SHANI_SCHEDULE(b3, b0, b1, b2);
        SHANI_ROUNDS_OF(abef_a, cdgh_a, a3, g + 3); SHANI_ROUNDS_OF(abef_b, cdgh_b, b3, g + 3);
    }
    shani_store(state_a, _mm_add_epi32(abef_a, abef_a0), _mm_add_epi32(cdgh_a, cdgh_a0));
    shani_store(state_b, _mm_add_epi32(abef_b, abef_b0), _mm_add_epi32(cdgh_b, cdgh_b0));
}

static int cpu_has_sha_extensions(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int sse41 = (c >> 19) & 1, ssse3 = (c >> 9) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return sse41 && ssse3 && sha;
}
#endif

/* 0: not chosen yet, 1: portable, 2: SHA extensions. */
static int chosen = 0;
static int portable_forced = 0;

static int choose(void) {
    int value = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (value != 0) return value;
#ifdef CSHA256_X86
    value = cpu_has_sha_extensions() ? 2 : 1;
#else
    value = 1;
#endif
    __atomic_store_n(&chosen, value, __ATOMIC_RELAXED);
    return value;
}

static inline void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
#ifdef CSHA256_X86
    if (choose() == 2 && !__atomic_load_n(&portable_forced, __ATOMIC_RELAXED)) {
        compress_shani(state, data, blocks);
        return;
    }
#endif
    compress_portable(state, data, blocks);
}

/* One block of each of two messages. */
static inline void compress2(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b) {
#ifdef CSHA256_X86
    if (choose() == 2 && !__atomic_load_n(&portable_forced, __ATOMIC_RELAXED)) {
        compress_shani_x2(state_a, a, state_b, b);
        return;
    }
#endif
    compress_portable(state_a, a, 1);
    compress_portable(state_b, b, 1);
}

int csha256_uses_hardware(void) {
    return choose() == 2 && !__atomic_load_n(&portable_forced, __ATOMIC_RELAXED);
}

void csha256_force_portable(int portable) {
    __atomic_store_n(&portable_forced, portable ? 1 : 0, __ATOMIC_RELAXED);
}

/* ---- Streaming. ---- */

void csha256_init(csha256_context *context) {
    memcpy(context->state, initial_state, sizeof initial_state);
    context->length = 0;
    context->buffered = 0;
}

void csha256_update(csha256_context *context, const void *bytes, size_t count) {
    const uint8_t *input = bytes;
    if (count == 0) return;
    context->length += count;
    if (context->buffered > 0) {
        size_t take = 64 - context->buffered;
        if (take > count) take = count;
        memcpy(context->buffer + context->buffered, input, take);
        context->buffered += (uint32_t)take;
        input += take;
        count -= take;
        if (context->buffered < 64) return;
        compress(context->state, context->buffer, 1);
        context->buffered = 0;
    }
    size_t blocks = count / 64;
    if (blocks > 0) {
        compress(context->state, input, blocks);
        input += blocks * 64;
        count -= blocks * 64;
    }
    if (count > 0) {
        memcpy(context->buffer, input, count);
        context->buffered = (uint32_t)count;
    }
}

void csha256_final(csha256_context *context, uint8_t digest[32]) {
    uint64_t bits = context->length * 8;
    uint8_t *buffer = context->buffer;
    uint32_t used = context->buffered;
    buffer[used++] = 0x80;
    if (used > 56) {
        memset(buffer + used, 0, 64 - used);
        compress(context->state, buffer, 1);
        used = 0;
    }
    memset(buffer + used, 0, 56 - used);
    for (int i = 0; i < 8; i++) buffer[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(context->state, buffer, 1);
    for (int i = 0; i < 8; i++) {
        uint32_t word = context->state[i];
        digest[4 * i] = (uint8_t)(word >> 24);
        digest[4 * i + 1] = (uint8_t)(word >> 16);
        digest[4 * i + 2] = (uint8_t)(word >> 8);
        digest[4 * i + 3] = (uint8_t)word;
    }
}

/* One link's message, SHA-256(previous ‖ canonical) padded, as blocks: the
   first is the previous hash and the first 32 canonical bytes (copied), the
   whole blocks after it are read where they lie, and the tail is copied
   with the padding (one or two blocks). Needs at least 32 canonical bytes. */
typedef struct {
    uint8_t first[64];
    uint8_t tail[128];
    const uint8_t *middle;
    size_t whole;
    size_t blocks;
    uint32_t state[8];
} link_message;

static void link_prepare(link_message *m, const uint8_t previous[32], const uint8_t *canonical, size_t count) {
    memcpy(m->first, previous, 32);
    memcpy(m->first + 32, canonical, 32);
    size_t rest = count - 32;
    m->middle = canonical + 32;
    m->whole = rest / 64;
    size_t tail = rest - m->whole * 64;
    memcpy(m->tail, canonical + 32 + m->whole * 64, tail);
    m->tail[tail] = 0x80;
    size_t tail_blocks = tail + 1 + 8 <= 64 ? 1 : 2;
    memset(m->tail + tail + 1, 0, tail_blocks * 64 - 8 - (tail + 1));
    uint64_t bits = ((uint64_t)count + 32) * 8;
    for (int i = 0; i < 8; i++) m->tail[tail_blocks * 64 - 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
    m->blocks = 1 + m->whole + tail_blocks;
    memcpy(m->state, initial_state, sizeof initial_state);
}

static inline const uint8_t *link_block(const link_message *m, size_t index) {
    if (index == 0) return m->first;
    if (index <= m->whole) return m->middle + (index - 1) * 64;
    return m->tail + (index - 1 - m->whole) * 64;
}

static void link_digest(const link_message *m, uint8_t digest[32]) {
    for (int i = 0; i < 8; i++) {
        uint32_t word = m->state[i];
        digest[4 * i] = (uint8_t)(word >> 24);
        digest[4 * i + 1] = (uint8_t)(word >> 16);
        digest[4 * i + 2] = (uint8_t)(word >> 8);
        digest[4 * i + 3] = (uint8_t)word;
    }
}

void csha256_link(const uint8_t previous[32], const void *canonical, size_t count, uint8_t digest[32]) {
    if (count < 32) {
        csha256_context context;
        csha256_init(&context);
        csha256_update(&context, previous, 32);
        csha256_update(&context, canonical, count);
        csha256_final(&context, digest);
        return;
    }
    link_message m;
    link_prepare(&m, previous, canonical, count);
    compress(m.state, m.first, 1);
    if (m.whole > 0) compress(m.state, m.middle, m.whole);
    compress(m.state, m.tail, m.blocks - 1 - m.whole);
    link_digest(&m, digest);
}

int csha256_link_matches(const uint8_t previous[32], const void *canonical, size_t count, const uint8_t stored[32]) {
    uint8_t digest[32];
    csha256_link(previous, canonical, count, digest);
    return memcmp(digest, stored, 32) == 0;
}

int csha256_link_matches2(const uint8_t previous_a[32], const void *canonical_a, size_t count_a, const uint8_t stored_a[32],
                          const uint8_t previous_b[32], const void *canonical_b, size_t count_b, const uint8_t stored_b[32]) {
    if (count_a < 32 || count_b < 32) {
        return csha256_link_matches(previous_a, canonical_a, count_a, stored_a)
            | csha256_link_matches(previous_b, canonical_b, count_b, stored_b) << 1;
    }
    link_message a, b;
    link_prepare(&a, previous_a, canonical_a, count_a);
    link_prepare(&b, previous_b, canonical_b, count_b);
    size_t both = a.blocks < b.blocks ? a.blocks : b.blocks;
    for (size_t i = 0; i < both; i++) compress2(a.state, link_block(&a, i), b.state, link_block(&b, i));
    for (size_t i = both; i < a.blocks; i++) compress(a.state, link_block(&a, i), 1);
    for (size_t i = both; i < b.blocks; i++) compress(b.state, link_block(&b, i), 1);
    uint8_t digest_a[32], digest_b[32];
    link_digest(&a, digest_a);
    link_digest(&b, digest_b);
    return (memcmp(digest_a, stored_a, 32) == 0) | (memcmp(digest_b, stored_b, 32) == 0) << 1;
}
