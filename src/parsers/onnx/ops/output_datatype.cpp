// The output_datatype / dtype attributes of generator ops (windows, mel matrix).
#include "../importer.h"
#include "ops.h"

namespace kiln::onnx {

bool outputDataType(ConverterContext& ctx, const char* attr, DataType& type) {
    const int64_t raw = ctx.attrInt(attr, pb::TensorProto::FLOAT);
    if (raw == pb::TensorProto::DOUBLE) {
        type = DataType::kFLOAT;  // no float64 tensors in kiln
        return true;
    }
    if (!onnxTypeToKiln(static_cast<int32_t>(raw), type) || type == DataType::kBOOL || type == DataType::kFP8)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        std::string(attr) + " " + std::to_string(raw) + " is not supported");
    return true;
}

}  // namespace kiln::onnx
