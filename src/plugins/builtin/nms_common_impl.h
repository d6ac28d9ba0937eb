// Template part of nms_common.h.
#pragma once
#include <algorithm>
#include <numeric>

namespace kiln::builtin {

template <typename ScoreFn, typename BoxFn, typename IouFn>
std::vector<int32_t> nmsOneClass(int32_t count, ScoreFn score, BoxFn box, double scoreThreshold, double iouThreshold,
                                 int32_t topK, IouFn iou) {
    std::vector<int32_t> order;
    for (int32_t i = 0; i < count; ++i)
        if (score(i) > scoreThreshold) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return score(a) > score(b); });
    if (topK > -1 && int32_t(order.size()) > topK) order.resize(size_t(topK));
    std::vector<int32_t> kept;
    std::vector<Box> keptBoxes;
    for (int32_t i : order) {
        const Box b = box(i);
        bool keep = true;
        for (const Box& k : keptBoxes)
            if (iou(b, k) > iouThreshold) {
                keep = false;
                break;
            }
        if (!keep) continue;
        kept.push_back(i);
        keptBoxes.push_back(b);
    }
    return kept;
}

}  // namespace kiln::builtin
