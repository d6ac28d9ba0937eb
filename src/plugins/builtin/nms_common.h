// Non-maximum suppression as the Caffe SSD fork does it (ApplyNMSFast with eta 1, and
// JaccardOverlap), shared by NMS_TRT and BatchedNMS_TRT.
#pragma once
#include <cstdint>
#include <vector>

#include "box_math.h"  // Box, boxArea, jaccard

namespace kiln::builtin {

// One class: the boxes whose score is above `scoreThreshold`, by descending score (lower
// index first on ties), at most `topK` of them (-1: all), each kept while its IoU
// (`iou(a, b)`) with every box kept before is at most `iouThreshold`. `score(i)` and
// `box(i)` give box i.
template <typename ScoreFn, typename BoxFn, typename IouFn>
std::vector<int32_t> nmsOneClass(int32_t count, ScoreFn score, BoxFn box, double scoreThreshold, double iouThreshold,
                                 int32_t topK, IouFn iou);

// A kept box of one image, for the final ordering.
struct Detection {
    float score;
    int32_t label;
    int32_t box;
    int32_t rank;  // position in its class's NMS result
};
// Descending score; ties: lower label, then earlier in its class's NMS result.
void sortDetections(std::vector<Detection>& d);

}  // namespace kiln::builtin

#include "nms_common_impl.h"
