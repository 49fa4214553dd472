// xxHash (Debian: libxxhash-dev): XXH3-64 fingerprints of market data files read by backtests.
#include <xxhash.h>
