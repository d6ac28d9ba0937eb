// A structure-aware libFuzzer mutator for ONNX models: half of the mutations
// decode the ModelProto and change one meaningful thing (an attribute value
// or type, a dim, an initializer's type or size, a node's inputs, op type or
// position, the opset), so the fuzzer reaches the converters and the builder
// with odd but well-formed models; the other half are libFuzzer's byte
// mutations, which exercise the protobuf decoding and truncation paths.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "onnx.pb.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);

namespace {

namespace pb = kiln_onnx_pb;
using Rng = std::minstd_rand;

size_t pick(Rng& rng, size_t n) { return n ? size_t(rng() % n) : 0; }

int64_t interestingInt(Rng& rng) {
    static const int64_t kValues[] = {0,
                                      1,
                                      -1,
                                      2,
                                      -2,
                                      3,
                                      4,
                                      7,
                                      8,
                                      16,
                                      255,
                                      256,
                                      65535,
                                      65536,
                                      std::numeric_limits<int32_t>::max(),
                                      std::numeric_limits<int32_t>::min(),
                                      int64_t(1) << 31,
                                      int64_t(1) << 32,
                                      int64_t(1) << 40,
                                      int64_t(1) << 62,
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::max() / 2};
    if (rng() % 3 == 0) return int64_t(pick(rng, 21)) - 10;
    return kValues[pick(rng, sizeof kValues / sizeof kValues[0])];
}

float interestingFloat(Rng& rng) {
    static const float kValues[] = {0.f,
                                    -0.f,
                                    1.f,
                                    -1.f,
                                    0.5f,
                                    2.f,
                                    1e-30f,
                                    1e30f,
                                    -1e30f,
                                    std::numeric_limits<float>::infinity(),
                                    -std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::quiet_NaN(),
                                    std::numeric_limits<float>::denorm_min()};
    return kValues[pick(rng, sizeof kValues / sizeof kValues[0])];
}

const char* interestingString(Rng& rng) {
    static const char* kValues[] = {"",           "constant",   "reflect",       "edge",
                                    "wrap",       "nearest",    "linear",        "cubic",
                                    "NOTSET",     "SAME_UPPER", "SAME_LOWER",    "VALID",
                                    "asymmetric", "half_pixel", "align_corners", "round_prefer_floor",
                                    "floor",      "ceil",       "tanh",          "Relu",
                                    "x"};
    return kValues[pick(rng, sizeof kValues / sizeof kValues[0])];
}

const char* randomOpType(Rng& rng) {
    static const char* kOps[] = {"Add",
                                 "Sub",
                                 "Mul",
                                 "Div",
                                 "Pow",
                                 "Relu",
                                 "Sigmoid",
                                 "Tanh",
                                 "Conv",
                                 "ConvTranspose",
                                 "MaxPool",
                                 "AveragePool",
                                 "GlobalAveragePool",
                                 "MatMul",
                                 "Gemm",
                                 "Reshape",
                                 "Flatten",
                                 "Squeeze",
                                 "Unsqueeze",
                                 "Transpose",
                                 "Concat",
                                 "Split",
                                 "Slice",
                                 "Gather",
                                 "GatherElements",
                                 "GatherND",
                                 "ScatterND",
                                 "Shape",
                                 "Size",
                                 "Cast",
                                 "CastLike",
                                 "Softmax",
                                 "LogSoftmax",
                                 "ReduceSum",
                                 "ReduceMean",
                                 "ReduceMax",
                                 "ArgMax",
                                 "TopK",
                                 "Pad",
                                 "Resize",
                                 "Upsample",
                                 "Expand",
                                 "Tile",
                                 "Range",
                                 "ConstantOfShape",
                                 "Constant",
                                 "Where",
                                 "Clip",
                                 "BatchNormalization",
                                 "InstanceNormalization",
                                 "LayerNormalization",
                                 "Identity",
                                 "Dropout",
                                 "Einsum",
                                 "OneHot",
                                 "NonZero",
                                 "Trilu",
                                 "CumSum",
                                 "DepthToSpace",
                                 "SpaceToDepth",
                                 "LRN",
                                 "Equal",
                                 "Less",
                                 "Not",
                                 "Sqrt",
                                 "Exp",
                                 "Log",
                                 "Erf",
                                 "Gelu",
                                 "If",
                                 "Loop",
                                 "Scan",
                                 "QuantizeLinear",
                                 "DequantizeLinear",
                                 "QLinearConv",
                                 "MatMulInteger",
                                 "NonMaxSuppression",
                                 "RoiAlign",
                                 "GridSample",
                                 "LSTM",
                                 "GRU",
                                 "RNN",
                                 "Mod",
                                 "BitShift",
                                 "Hardmax",
                                 "Compress",
                                 "Unique",
                                 "ReverseSequence",
                                 "Det"};
    return kOps[pick(rng, sizeof kOps / sizeof kOps[0])];
}

// Every value name of the graph, to rewire inputs with.
std::vector<std::string> valueNames(const pb::GraphProto& g) {
    std::vector<std::string> names;
    for (const auto& v : g.input()) names.push_back(v.name());
    for (const auto& t : g.initializer()) names.push_back(t.name());
    for (const auto& n : g.node())
        for (const auto& o : n.output()) names.push_back(o);
    return names;
}

void mutateAttribute(pb::AttributeProto& a, Rng& rng) {
    switch (rng() % 8) {
        case 0:  // a type of its own, the value left as it was
            a.set_type(pb::AttributeProto::AttributeType(1 + pick(rng, 10)));
            return;
        case 1:
            a.clear_ints();
            return;
        case 2:
            a.add_ints(interestingInt(rng));
            return;
        default:
            break;
    }
    if (a.ints_size())
        a.set_ints(int(pick(rng, size_t(a.ints_size()))), interestingInt(rng));
    else if (a.floats_size())
        a.set_floats(int(pick(rng, size_t(a.floats_size()))), interestingFloat(rng));
    else if (a.type() == pb::AttributeProto::FLOAT)
        a.set_f(interestingFloat(rng));
    else if (a.type() == pb::AttributeProto::STRING)
        a.set_s(interestingString(rng));
    else
        a.set_i(interestingInt(rng));
}

void mutateNode(pb::GraphProto& g, pb::NodeProto& n, Rng& rng) {
    const std::vector<std::string> names = valueNames(g);
    switch (rng() % 7) {
        case 0:
            if (n.attribute_size()) {
                mutateAttribute(*n.mutable_attribute(int(pick(rng, size_t(n.attribute_size())))), rng);
                return;
            }
            [[fallthrough]];
        case 1: {  // a new attribute with a name the op may know
            static const char* kNames[] = {"axis",      "axes",  "perm",     "pads",     "strides", "kernel_shape",
                                           "dilations", "group", "keepdims", "k",        "to",      "mode",
                                           "auto_pad",  "alpha", "beta",     "transA",   "transB",  "split",
                                           "starts",    "ends",  "value",    "direction"};
            pb::AttributeProto* a = n.add_attribute();
            a->set_name(kNames[pick(rng, sizeof kNames / sizeof kNames[0])]);
            if (rng() % 2) {
                a->set_type(pb::AttributeProto::INT);
                a->set_i(interestingInt(rng));
            } else {
                a->set_type(pb::AttributeProto::INTS);
                for (size_t i = 0, k = pick(rng, 5); i < k; ++i) a->add_ints(interestingInt(rng));
            }
            return;
        }
        case 2:
            if (n.input_size() && !names.empty()) {
                n.set_input(int(pick(rng, size_t(n.input_size()))), rng() % 5 ? names[pick(rng, names.size())] : "");
                return;
            }
            [[fallthrough]];
        case 3:
            if (rng() % 2 && n.input_size())
                n.mutable_input()->RemoveLast();
            else if (!names.empty())
                n.add_input(names[pick(rng, names.size())]);
            return;
        case 4:
            n.set_op_type(randomOpType(rng));
            return;
        case 5:
            if (n.output_size() && !names.empty()) n.set_output(0, names[pick(rng, names.size())]);  // redefinition
            return;
        default:
            n.set_domain(rng() % 2 ? "" : "ai.onnx");
            return;
    }
}

void mutateShape(pb::TensorShapeProto& shape, Rng& rng) {
    if (shape.dim_size() == 0 || rng() % 4 == 0) {
        if (rng() % 2 && shape.dim_size())
            shape.mutable_dim()->RemoveLast();
        else
            shape.add_dim()->set_dim_value(interestingInt(rng));
        return;
    }
    auto* d = shape.mutable_dim(int(pick(rng, size_t(shape.dim_size()))));
    if (rng() % 4 == 0)
        d->set_dim_param("N");
    else
        d->set_dim_value(interestingInt(rng));
}

void mutateTensor(pb::TensorProto& t, Rng& rng) {
    switch (rng() % 5) {
        case 0:
            t.set_data_type(int32_t(pick(rng, 27)));
            return;
        case 1:
            if (t.dims_size()) {
                t.set_dims(int(pick(rng, size_t(t.dims_size()))), interestingInt(rng));
                return;
            }
            [[fallthrough]];
        case 2:
            if (rng() % 2 && t.dims_size())
                t.mutable_dims()->RemoveLast();
            else
                t.add_dims(interestingInt(rng) & 0xff);
            return;
        case 3:
            if (t.has_raw_data()) t.mutable_raw_data()->resize(pick(rng, t.raw_data().size() + 16));
            return;
        default:
            t.set_data_location(rng() % 2 ? pb::TensorProto::EXTERNAL : pb::TensorProto::DEFAULT);
            return;
    }
}

bool mutateModel(pb::ModelProto& m, Rng& rng) {
    pb::GraphProto& g = *m.mutable_graph();
    switch (rng() % 10) {
        case 0:
        case 1:
        case 2:
            if (g.node_size()) {
                mutateNode(g, *g.mutable_node(int(pick(rng, size_t(g.node_size())))), rng);
                return true;
            }
            return false;
        case 3:
            if (g.input_size()) {
                auto* tt =
                    g.mutable_input(int(pick(rng, size_t(g.input_size()))))->mutable_type()->mutable_tensor_type();
                if (rng() % 4 == 0)
                    tt->set_elem_type(int32_t(pick(rng, 27)));
                else
                    mutateShape(*tt->mutable_shape(), rng);
                return true;
            }
            return false;
        case 4:
            if (g.initializer_size()) {
                mutateTensor(*g.mutable_initializer(int(pick(rng, size_t(g.initializer_size())))), rng);
                return true;
            }
            return false;
        case 5:  // order: a node moved earlier or later (undefined inputs, cycles)
            if (g.node_size() > 1) {
                g.mutable_node()->SwapElements(int(pick(rng, size_t(g.node_size()))),
                                               int(pick(rng, size_t(g.node_size()))));
                return true;
            }
            return false;
        case 6:
            if (g.node_size()) {
                if (rng() % 2)
                    g.mutable_node()->DeleteSubrange(int(pick(rng, size_t(g.node_size()))), 1);
                else
                    *g.add_node() = g.node(int(pick(rng, size_t(g.node_size()))));
                return true;
            }
            return false;
        case 7:
            if (g.output_size()) {
                const auto names = valueNames(g);
                if (!names.empty()) g.mutable_output(0)->set_name(names[pick(rng, names.size())]);
                return true;
            }
            return false;
        case 8:
            if (m.opset_import_size()) {
                m.mutable_opset_import(0)->set_version(int64_t(pick(rng, 27)));
                return true;
            }
            return false;
        default:
            if (g.initializer_size() && g.node_size()) {  // an initializer moved into a Constant node's value
                pb::NodeProto* n = g.add_node();
                n->set_op_type("Constant");
                const auto& init = g.initializer(int(pick(rng, size_t(g.initializer_size()))));
                n->add_output(init.name() + "_c");
                pb::AttributeProto* a = n->add_attribute();
                a->set_name("value");
                a->set_type(pb::AttributeProto::TENSOR);
                *a->mutable_t() = init;
                g.mutable_node()->SwapElements(0, g.node_size() - 1);
                return true;
            }
            return false;
    }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned int seed) {
    Rng rng(seed);
    if (rng() % 2) return LLVMFuzzerMutate(data, size, maxSize);
    pb::ModelProto m;
    if (!m.ParseFromArray(data, int(size)) || !m.has_graph()) return LLVMFuzzerMutate(data, size, maxSize);
    bool changed = false;
    for (int tries = 0; tries < 8 && !changed; ++tries) changed = mutateModel(m, rng);
    std::string out;
    if (!changed || !m.SerializeToString(&out) || out.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
    std::memcpy(data, out.data(), out.size());
    return out.size();
}
