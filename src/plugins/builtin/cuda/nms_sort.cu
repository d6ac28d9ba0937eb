// sortCandidates (nms_device.cuh): tiles of kTile candidates sorted in shared memory by a
// bitonic network, then sorted runs merged pairwise until each segment is one run. A merge
// places every candidate directly: its position in its own run plus the number of the
// partner run's candidates before it (a binary search). before() is a strict total order,
// so the result is unique: no stability question, the same on every run and device.
#include "nms_device.cuh"

namespace kiln::builtin::cuda {

namespace {

constexpr int kTile = 1024;
constexpr int kTileThreads = 512;

// One block per tile (tilesPerSegment per segment); the tile's tail past the segment is
// padded with candidates that sort after every real one.
__global__ void sortTilesKernel(Candidate* data, int64_t length, int64_t tilesPerSegment) {
    __shared__ Candidate s[kTile];
    const int64_t seg = blockIdx.x / tilesPerSegment, tile = blockIdx.x % tilesPerSegment;
    Candidate* base = data + seg * length + tile * kTile;
    const int64_t left = length - tile * kTile;
    const int count = int(left < kTile ? left : kTile);
    for (int i = threadIdx.x; i < kTile; i += blockDim.x)
        s[i] = i < count ? base[i] : Candidate{-INFINITY, INT32_MAX, 0};
    __syncthreads();
    for (int k = 2; k <= kTile; k <<= 1)
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int i = threadIdx.x; i < kTile; i += blockDim.x) {
                const int p = i ^ j;
                if (p <= i) continue;
                // Pairs (i, i ^ j) are disjoint for one (k, j): no two threads touch one slot.
                const bool ascending = (i & k) == 0;
                if (ascending ? before(s[p], s[i]) : before(s[i], s[p])) {
                    const Candidate t = s[i];
                    s[i] = s[p];
                    s[p] = t;
                }
            }
            __syncthreads();
        }
    for (int i = threadIdx.x; i < count; i += blockDim.x) base[i] = s[i];
}

// Runs of `run` candidates (the last of a segment may be shorter) merged in pairs: `in` to
// `out`, one thread per candidate (grid-stride).
__global__ void mergeRunsKernel(const Candidate* in, Candidate* out, int64_t total, int64_t length, int64_t run) {
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t seg = e / length, p = e % length;
        const int64_t r = p / run, i = p - r * run, partner = r ^ 1;
        const int64_t partnerStart = partner * run;
        const Candidate me = in[e];
        if (partnerStart >= length) {  // the segment's last run, without a partner: stays
            out[e] = me;
            continue;
        }
        const int64_t partnerEnd = partnerStart + run < length ? partnerStart + run : length;
        const Candidate* other = in + seg * length + partnerStart;
        int64_t lo = 0, hi = partnerEnd - partnerStart;  // how many of the partner run come first
        while (lo < hi) {
            const int64_t mid = (lo + hi) / 2;
            if (before(other[mid], me))
                lo = mid + 1;
            else
                hi = mid;
        }
        const int64_t start = (r < partner ? r : partner) * run;
        out[seg * length + start + i + lo] = me;
    }
}

}  // namespace

Candidate* sortCandidates(Candidate* a, Candidate* b, int64_t segments, int64_t length, cudaStream_t stream) {
    if (segments <= 0 || length <= 0) return a;
    const int64_t tiles = (length + kTile - 1) / kTile;
    sortTilesKernel<<<unsigned(segments * tiles), kTileThreads, 0, stream>>>(a, length, tiles);
    if (launched() != 0) return nullptr;
    Candidate *in = a, *out = b;
    for (int64_t run = kTile; run < length; run *= 2) {
        mergeRunsKernel<<<blocksFor(segments * length), kThreads, 0, stream>>>(in, out, segments * length, length, run);
        if (launched() != 0) return nullptr;
        Candidate* t = in;
        in = out;
        out = t;
    }
    return in;
}

}  // namespace kiln::builtin::cuda
