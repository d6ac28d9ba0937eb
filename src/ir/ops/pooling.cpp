// Schemas of the pooling family: Pooling and LRN (docs/ops.md).
#include <string>

#include "channels_last.h"
#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }
bool isIntType(DType t) { return t == DType::kI8 || t == DType::kU8 || t == DType::kI32 || t == DType::kI64; }

std::string str(int64_t v) { return std::to_string(v); }

// Reads a per-spatial-dim list attribute (k entries, each >= minValue); an
// absent attribute gives k copies of dflt.
Status spatialList(const Attrs& a, const std::string& name, size_t k, int64_t dflt, int64_t minValue,
                   std::vector<int64_t>& out) {
    out = a.getInts(name, std::vector<int64_t>(k, dflt));
    if (out.size() != k)
        return Status::Error("attribute '" + name + "' has " + str(int64_t(out.size())) + " entries, expected " +
                             str(int64_t(k)) + " (one per spatial dim)");
    // The upper bound keeps extent arithmetic far from int64 overflow.
    constexpr int64_t kMaxValue = (int64_t(1) << 31) - 1;
    for (size_t i = 0; i < k; ++i)
        if (out[i] < minValue || out[i] > kMaxValue)
            return Status::Error("attribute '" + name + "'[" + str(int64_t(i)) + "] = " + str(out[i]) +
                                 " must be in [" + str(minValue) + ", " + str(kMaxValue) + "]");
    return Status::Ok();
}

int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Output extent of one spatial dim (docs/ops.md, Pooling); -1 when S is unknown.
Status pooledExtent(size_t dim, int64_t S, int64_t K, int64_t stride, int64_t dil, int64_t pb, int64_t pe,
                    bool ceilMode, const std::string& autoPad, int64_t& O) {
    if (S < 0) {
        O = -1;
        return Status::Ok();
    }
    // With the attributes below 2^31 (spatialList), this keeps S + pads and
    // S + stride within int64 (a mutated input dim may be 2^63 - 1).
    if (S > (int64_t(1) << 62))
        return Status::Error("spatial dim " + str(int64_t(dim)) + ": input extent " + str(S) + " exceeds 2^62");
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        O = ceilDiv(S, stride);
    } else {
        if (autoPad == "VALID") pb = pe = 0;
        const int64_t effK = dil * (K - 1) + 1;
        const int64_t span = S + pb + pe - effK;
        if (span < 0)
            return Status::Error("spatial dim " + str(int64_t(dim)) + ": padded extent " + str(S + pb + pe) +
                                 " is smaller than the dilated kernel extent " + str(effK));
        O = (ceilMode ? ceilDiv(span, stride) : span / stride) + 1;
        // ceil_mode: drop a last window that would start in the end padding.
        if (ceilMode && (O - 1) * stride >= S + pb) --O;
    }
    if (O < 1)
        return Status::Error("spatial dim " + str(int64_t(dim)) + ": output extent " + str(O) + " < 1 (input " +
                             str(S) + ")");
    return Status::Ok();
}

Status inferChannelsFirstPooling(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    const size_t rank = x.shape.size();
    if (rank < 3 || rank > 5)
        return Status::Error("input X must be [N, C, S1..Sk] with k = 1..3, got shape " + shapeToString(x.shape));
    const size_t k = rank - 2;

    const std::string mode = a.getString("mode", "max");
    if (mode != "max" && mode != "avg" && mode != "lp")
        return Status::Error("unknown mode '" + mode + "' (expected max, avg or lp)");
    if (!(isFloatType(x.dtype) || (mode == "max" && isIntType(x.dtype))))
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " for " + mode +
                             " pooling (float types" + (mode == "max" ? ", int8, uint8, int32, int64)" : ")"));
    const bool wantIndices = out.size() > 1 && node.outputs.size() > 1 && node.outputs[1] >= 0;
    if (wantIndices && mode != "max") return Status::Error("the Indices output exists only for max pooling");
    const int64_t storageOrder = a.getInt("storage_order", 0);
    if (storageOrder != 0 && storageOrder != 1)
        return Status::Error("storage_order must be 0 or 1, got " + str(storageOrder));
    if (mode == "lp" && !(a.getFloat("p", 2.0) > 0.0))
        return Status::Error("p must be > 0 for lp pooling, got " + std::to_string(a.getFloat("p", 2.0)));

    const std::string autoPad = a.getString("auto_pad", "NOTSET");
    if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" && autoPad != "VALID")
        return Status::Error("unknown auto_pad '" + autoPad + "'");
    const int64_t ceilMode = a.getInt("ceil_mode", 0), global = a.getInt("global", 0);
    const int64_t countIncludePad = a.getInt("count_include_pad", 0);
    if (ceilMode != 0 && ceilMode != 1) return Status::Error("ceil_mode must be 0 or 1, got " + str(ceilMode));
    if (global != 0 && global != 1) return Status::Error("global must be 0 or 1, got " + str(global));
    if (countIncludePad != 0 && countIncludePad != 1)
        return Status::Error("count_include_pad must be 0 or 1, got " + str(countIncludePad));

    Shape y = {x.shape[0], x.shape[1]};
    if (global) {
        for (size_t i = 0; i < k; ++i) {
            if (x.shape[2 + i] == 0) return Status::Error("global pooling over an empty spatial dim " + str(int64_t(i)));
            y.push_back(1);
        }
    } else {
        if (!a.has("kernel")) return Status::Error("attribute 'kernel' is required unless global = 1");
        std::vector<int64_t> kernel, strides, dils, pb, pe;
        KILN_RETURN_IF_ERROR(spatialList(a, "kernel", k, 1, 1, kernel));
        KILN_RETURN_IF_ERROR(spatialList(a, "strides", k, 1, 1, strides));
        KILN_RETURN_IF_ERROR(spatialList(a, "dilations", k, 1, 1, dils));
        KILN_RETURN_IF_ERROR(spatialList(a, "pads_begin", k, 0, 0, pb));
        KILN_RETURN_IF_ERROR(spatialList(a, "pads_end", k, 0, 0, pe));
        for (size_t i = 0; i < k; ++i) {
            int64_t o = 0;
            KILN_RETURN_IF_ERROR(pooledExtent(i, x.shape[2 + i], kernel[i], strides[i], dils[i], pb[i], pe[i],
                                              ceilMode != 0, autoPad, o));
            y.push_back(o);
        }
    }
    out[0] = TensorDesc{x.dtype, y, nullptr};
    if (out.size() > 1) out[1] = TensorDesc{DType::kI64, y, nullptr};
    return Status::Ok();
}

Status inferPooling(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (!isChannelsLast(node)) return inferChannelsFirstPooling(node, in, out);
    // channels_last: X [N, S.., C], Y [N, O.., C] (channels_last.h); no Indices output.
    if (out.size() > 1 && node.outputs.size() > 1 && node.outputs[1] >= 0)
        return Status::Error("channels_last pooling has no Indices output");
    return inferChannelsLast(node, in, out, {0}, &inferChannelsFirstPooling);
}

Status inferLRN(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    if (x.shape.size() < 2) return Status::Error("input X must be [N, C, ...], got shape " + shapeToString(x.shape));
    if (!isFloatType(x.dtype))
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " (float types only)");
    if (!a.has("size")) return Status::Error("attribute 'size' is required");
    const int64_t size = a.getInt("size", 0);
    if (size < 1) return Status::Error("size must be >= 1, got " + str(size));
    out[0] = TensorDesc{x.dtype, x.shape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerPoolingOps(std::vector<OpSchema>& t) {
    t.push_back({"Pooling", 1, 1, 1, 2, &inferPooling});
    t.push_back({"LRN", 1, 1, 1, 1, &inferLRN});
}

}  // namespace kiln::ir
