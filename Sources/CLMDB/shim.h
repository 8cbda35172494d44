#ifndef SUBSIDY_LEDGER_CLMDB_SHIM_H
#define SUBSIDY_LEDGER_CLMDB_SHIM_H
#include <lmdb.h>
/* malloc_trim, for ProcessHeap in LMDBKit */
#include <malloc.h>
#endif
