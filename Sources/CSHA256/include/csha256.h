#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) without allocation, for the hash chain that every
/// read of the log checks once per record: the state lives on the caller's
/// stack, whole 64-byte blocks are compressed straight from the caller's
/// bytes (the memory map), and x86-64 processors with the SHA extensions
/// use them (chosen once, at the first call).
typedef struct {
    uint32_t state[8];
    uint64_t length;        /* bytes hashed so far */
    uint8_t buffer[64];     /* a partial block */
    uint32_t buffered;
} csha256_context;

void csha256_init(csha256_context *context);
void csha256_update(csha256_context *context, const void *bytes, size_t count);
void csha256_final(csha256_context *context, uint8_t digest[32]);

/// SHA-256(previous ‖ canonical): one link of the ledger's hash chain.
void csha256_link(const uint8_t previous[32], const void *canonical, size_t count, uint8_t digest[32]);

/// Whether SHA-256(previous ‖ canonical) equals `stored` (32 bytes).
int csha256_link_matches(const uint8_t previous[32], const void *canonical, size_t count, const uint8_t stored[32]);

/// Two links checked at once (their rounds interleaved, which is nearly
/// twice as fast on the SHA instructions): bit 0 set when the first
/// matches its stored hash, bit 1 when the second does. The links of a
/// stored log are independent, since each record's previous hash is stored.
int csha256_link_matches2(const uint8_t previous_a[32], const void *canonical_a, size_t count_a, const uint8_t stored_a[32],
                          const uint8_t previous_b[32], const void *canonical_b, size_t count_b, const uint8_t stored_b[32]);

/// 1 when the processor's SHA extensions are in use, 0 for the portable code.
int csha256_uses_hardware(void);

/// Forces the portable code (1) or the best available (0); for tests that
/// compare the two.
void csha256_force_portable(int portable);

#endif
