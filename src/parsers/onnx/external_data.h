// ONNX external data: tensors whose bytes live in side files next to the model
// (TensorProto.data_location = EXTERNAL), as onnx.save_model(...,
// save_as_external_data=True) writes them for models over protobuf's 2 GiB limit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "converter.h"

namespace kiln::onnx {

//! The external_data entries of one tensor.
struct ExternalDataRef {
    std::string location;            //!< file path relative to the model's directory
    uint64_t offset = 0;             //!< first byte of the tensor in the file
    std::optional<uint64_t> length;  //!< byte count; absent: to the end of the file
};

//! Reads `location`, `offset` and `length` from t.external_data (other keys,
//! such as `checksum`, are ignored); false + message on a missing location or
//! a value that is not a non-negative decimal integer.
bool parseExternalDataRef(const pb::TensorProto& t, ExternalDataRef& ref, std::string& error);

//! Reads the bytes of external-data tensor `t` into `out`. The file must lie
//! inside `modelDir`: absolute locations, ".." components and symbolic links
//! leading outside are refused, as ONNX's checker does. Only the tensor's byte
//! range is read (pread, no whole-file copy), so side files of any size work.
//! When the element type has a fixed size, the range must hold exactly the
//! bytes the dims need; this is checked before anything is read. Errors name
//! the tensor and the file.
bool readExternalData(const pb::TensorProto& t, const std::string& modelDir, std::string& out, std::string& error);

}  // namespace kiln::onnx
