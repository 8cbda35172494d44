#ifndef CPREFETCH_H
#define CPREFETCH_H

/// A hint to the processor: bring the cache line holding `address` in now,
/// for a load that comes a little later. It never faults and changes no
/// result. The replays' folds look up names, entries and their sets at
/// scattered places in tables of hundreds of megabytes; asking for the
/// places of the next few changes while the current one is applied lets
/// the misses overlap instead of waiting for each in turn.
static inline void cprefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
