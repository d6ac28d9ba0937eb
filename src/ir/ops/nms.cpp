// NonMaxSuppression (ONNX semantics; TensorRT's INMSLayer): per batch and
// class, boxes by descending score (ties: lower index first), kept while their
// IoU with every kept box is at most the threshold, up to a count per class.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "data_dependent.h"
#include "op_families.h"

namespace kiln::ir {

namespace {

// One scalar input (shape [] or [1]); `known` is cleared when its value is not.
Status readScalar(const Node& node, const std::vector<TensorDesc>& in, size_t i, const char* what, double& v,
                  bool& known, bool& given) {
    given = hasInput(node, in, i);
    if (!given) return Status::Ok();
    const TensorDesc& t = in[i];
    if (isStatic(t.shape) && volume(t.shape) != 1)
        return Status::Error("input " + std::to_string(i) + " (" + what + ") must hold one value, got shape " +
                             shapeToString(t.shape));
    if (!t.data) {
        known = false;
        return Status::Ok();
    }
    v = loadAsDouble(t.data, t.dtype, 0);
    return Status::Ok();
}

struct Box {
    double y0, x0, y1, x1;
};

Box boxAt(const TensorDesc& boxes, int64_t b, int64_t n, int64_t numBoxes, bool center) {
    double v[4];
    for (int k = 0; k < 4; ++k) v[k] = loadAsDouble(boxes.data, boxes.dtype, (b * numBoxes + n) * 4 + k);
    if (center)  // [x_center, y_center, width, height]
        return {v[1] - v[3] / 2, v[0] - v[2] / 2, v[1] + v[3] / 2, v[0] + v[2] / 2};
    // [y1, x1, y2, x2]: any two opposite corners.
    return {std::min(v[0], v[2]), std::min(v[1], v[3]), std::max(v[0], v[2]), std::max(v[1], v[3])};
}

double iou(const Box& a, const Box& b) {
    const double ih = std::max(0.0, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
    const double iw = std::max(0.0, std::min(a.x1, b.x1) - std::max(a.x0, b.x0));
    const double inter = ih * iw;
    const double uni = (a.y1 - a.y0) * (a.x1 - a.x0) + (b.y1 - b.y0) * (b.x1 - b.x0) - inter;
    return uni > 0 ? inter / uni : 0.0;
}

}  // namespace

Status resolveNms(const Node& node, const std::vector<TensorDesc>& in, NmsParams& p, bool& known) {
    p = {};
    known = true;
    const TensorDesc &boxes = in[0], &scores = in[1];
    if (!dtypeIsFloat(boxes.dtype) || !dtypeIsFloat(scores.dtype))
        return Status::Error("boxes and scores must be float tensors");
    if (boxes.shape.size() != 3 || boxes.shape[2] != 4)
        return Status::Error("boxes must be [batches, boxes, 4], got " + shapeToString(boxes.shape));
    if (scores.shape.size() != 3)
        return Status::Error("scores must be [batches, classes, boxes], got " + shapeToString(scores.shape));
    for (int d : {0, 1}) {
        const int64_t a = boxes.shape[size_t(d)], b = scores.shape[size_t(d == 0 ? 0 : 2)];
        if (a >= 0 && b >= 0 && a != b)
            return Status::Error("boxes " + shapeToString(boxes.shape) + " and scores " + shapeToString(scores.shape) +
                                 " disagree on the " + (d == 0 ? "batches" : "boxes"));
    }
    p.centerPointBox = node.attrs.getInt("center_point_box", 0) != 0;
    p.topKLimit = node.attrs.getInt("topk_limit", 0);
    double v = 0;
    bool given;
    KILN_RETURN_IF_ERROR(readScalar(node, in, 2, "max_output_boxes_per_class", v, known, given));
    p.maxPerClass = given ? int64_t(v) : 0;
    v = 0;
    KILN_RETURN_IF_ERROR(readScalar(node, in, 3, "iou_threshold", v, known, given));
    p.iouThreshold = v;
    KILN_RETURN_IF_ERROR(readScalar(node, in, 4, "score_threshold", p.scoreThreshold, known, p.hasScoreThreshold));
    if (known && (p.iouThreshold < 0 || p.iouThreshold > 1))
        return Status::Error("iou_threshold " + std::to_string(p.iouThreshold) + " is outside [0, 1]");
    return Status::Ok();
}

std::vector<int64_t> computeNms(const TensorDesc& boxes, const TensorDesc& scores, const NmsParams& p) {
    std::vector<int64_t> selected;
    const int64_t batches = scores.shape[0], classes = scores.shape[1], n = scores.shape[2];
    if (p.maxPerClass <= 0) return selected;
    std::vector<Box> all(static_cast<size_t>(n));
    std::vector<int64_t> order;
    std::vector<double> s(static_cast<size_t>(n));
    for (int64_t b = 0; b < batches; ++b) {
        for (int64_t i = 0; i < n; ++i) all[size_t(i)] = boxAt(boxes, b, i, n, p.centerPointBox);
        for (int64_t c = 0; c < classes; ++c) {
            order.clear();
            for (int64_t i = 0; i < n; ++i) {
                s[size_t(i)] = loadAsDouble(scores.data, scores.dtype, (b * classes + c) * n + i);
                if (!p.hasScoreThreshold || s[size_t(i)] > p.scoreThreshold) order.push_back(i);
            }
            std::stable_sort(order.begin(), order.end(),
                             [&](int64_t a, int64_t z) { return s[size_t(a)] > s[size_t(z)]; });
            if (p.topKLimit > 0 && int64_t(order.size()) > p.topKLimit) order.resize(size_t(p.topKLimit));
            std::vector<int64_t> kept;
            for (int64_t i : order) {
                if (int64_t(kept.size()) >= p.maxPerClass) break;
                bool keep = true;
                for (int64_t k : kept)
                    if (iou(all[size_t(i)], all[size_t(k)]) > p.iouThreshold) {
                        keep = false;
                        break;
                    }
                if (!keep) continue;
                kept.push_back(i);
                selected.insert(selected.end(), {b, c, i});
            }
        }
    }
    return selected;
}

namespace {

Status inferNms(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    NmsParams p;
    bool known;
    KILN_RETURN_IF_ERROR(resolveNms(node, in, p, known));
    int64_t count = -1;
    if (known && in[0].data && in[1].data && isStatic(in[0].shape) && isStatic(in[1].shape))
        count = int64_t(computeNms(in[0], in[1], p).size() / 3);
    const int64_t idx = node.attrs.getInt("index_dtype", int64_t(DType::kI64));
    if (idx != int64_t(DType::kI64) && idx != int64_t(DType::kI32))
        return Status::Error("index_dtype must be 3 (int32) or 8 (int64), got " + std::to_string(idx));
    out[0] = {DType(idx), {count, 3}, nullptr};
    if (out.size() > 1) out[1] = {DType::kI32, {}, nullptr};  // the number of selected boxes
    return Status::Ok();
}

}  // namespace

void registerNms(std::vector<OpSchema>& t) { t.push_back({"NMS", 2, 5, 1, 2, &inferNms}); }

}  // namespace kiln::ir
