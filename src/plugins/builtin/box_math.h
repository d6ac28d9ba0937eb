// Box arithmetic shared by the CPU and CUDA paths of the detection plugins (NMS_TRT,
// BatchedNMS_TRT, RPROI_TRT, ROIAlign_TRT, PriorBox_TRT). Both paths call these same
// functions, and kiln_plugins is compiled without floating-point contraction
// (-ffp-contract=off, nvcc --fmad=false), so each step rounds the same way on the host
// and on the device and the two backends agree bit for bit: same boxes, same scores, and
// therefore the same NMS decisions and ties. The one transcendental function, exp, is
// kiln's own (detExp) for the same reason: libm's and CUDA's exp may differ in the last bit.
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define KILN_HD __host__ __device__
#else
#define KILN_HD
#endif

namespace kiln::builtin {

// std::max / std::min exactly (the first argument on ties and NaN comparisons), usable on
// the device.
template <typename T>
KILN_HD inline T hdMax(T a, T b) {
    return (a < b) ? b : a;
}
template <typename T>
KILN_HD inline T hdMin(T a, T b) {
    return (b < a) ? b : a;
}

// exp(x) within about one ulp, computed with +, -, * and exact scaling only, so that the host
// and the device give the same bits: x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two so
// that k * ln2Hi is exact), exp(r) by its Taylor series to r^13 (remainder below 1e-17),
// times 2^k.
KILN_HD inline double detExp(double x) {
    if (x != x) return x;
    if (x > 709.782712893384) return INFINITY;
    if (x < -745.1332191019412) return 0.0;
    const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
    const double k = nearbyint(x * 1.44269504088896338700);
    const double r = (x - k * ln2Hi) - k * ln2Lo;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return ldexp(p, int(k));
}

struct Box {
    double xmin, ymin, xmax, ymax;
};

// Area; 0 for an inverted box. `plusOne`: pixel boxes, whose extents count both ends.
KILN_HD inline double boxArea(const Box& b, bool plusOne) {
    if (b.xmax < b.xmin || b.ymax < b.ymin) return 0;
    const double e = plusOne ? 1 : 0;
    return (b.xmax - b.xmin + e) * (b.ymax - b.ymin + e);
}

// Intersection over union (Caffe SSD's JaccardOverlap); 0 when the boxes do not meet.
KILN_HD inline double jaccard(const Box& a, const Box& b, bool plusOne) {
    if (b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin) return 0;
    const Box inter{hdMax(a.xmin, b.xmin), hdMax(a.ymin, b.ymin), hdMin(a.xmax, b.xmax), hdMin(a.ymax, b.ymax)};
    const double i = boxArea(inter, plusOne);
    const double u = boxArea(a, plusOne) + boxArea(b, plusOne) - i;
    return u > 0 ? i / u : 0;
}

// py_cpu_nms's overlap: pixel extents count both ends, and boxes closer than a pixel overlap.
KILN_HD inline double pixelIou(const Box& a, const Box& b) {
    const double w = hdMax(0.0, hdMin(a.xmax, b.xmax) - hdMax(a.xmin, b.xmin) + 1);
    const double h = hdMax(0.0, hdMin(a.ymax, b.ymax) - hdMax(a.ymin, b.ymin) + 1);
    const double inter = w * h;
    return inter /
           ((a.xmax - a.xmin + 1) * (a.ymax - a.ymin + 1) + (b.xmax - b.xmin + 1) * (b.ymax - b.ymin + 1) - inter);
}

}  // namespace kiln::builtin
