#include "nms_common.h"

#include <algorithm>

namespace kiln::builtin {

double boxArea(const Box& b, bool plusOne) {
    if (b.xmax < b.xmin || b.ymax < b.ymin) return 0;
    const double e = plusOne ? 1 : 0;
    return (b.xmax - b.xmin + e) * (b.ymax - b.ymin + e);
}

double jaccard(const Box& a, const Box& b, bool plusOne) {
    if (b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin) return 0;
    const Box inter{std::max(a.xmin, b.xmin), std::max(a.ymin, b.ymin), std::min(a.xmax, b.xmax),
                    std::min(a.ymax, b.ymax)};
    const double i = boxArea(inter, plusOne);
    const double u = boxArea(a, plusOne) + boxArea(b, plusOne) - i;
    return u > 0 ? i / u : 0;
}

void sortDetections(std::vector<Detection>& d) {
    std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) {
        if (a.score != b.score) return a.score > b.score;
        if (a.label != b.label) return a.label < b.label;
        return a.rank < b.rank;
    });
}

}  // namespace kiln::builtin
