#include "plugin_fallback.h"

#include <deque>
#include <limits>
#include <memory>

#include "importer.h"

namespace kiln::onnx {

namespace {

const pb::AttributeProto* attr(const pb::NodeProto& node, const char* name) {
    for (const auto& a : node.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

bool fitsInt32(int64_t v) {
    return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

bool fieldTypeOf(DataType t, PluginFieldType& out) {
    switch (t) {
        case DataType::kFLOAT:
            out = PluginFieldType::kFLOAT32;
            return true;
        case DataType::kHALF:
            out = PluginFieldType::kFLOAT16;
            return true;
        case DataType::kBF16:
            out = PluginFieldType::kBF16;
            return true;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
            out = PluginFieldType::kINT8;
            return true;  // raw bytes
        case DataType::kINT32:
            out = PluginFieldType::kINT32;
            return true;
        case DataType::kINT64:
            out = PluginFieldType::kINT64;
            return true;
        case DataType::kFP8:
            out = PluginFieldType::kFP8;
            return true;
    }
    return false;
}

// Node attributes as plugin fields. Integers are int32 when every value fits (as TensorRT's
// parser passes them), else int64; floats float32; strings characters; tensors their
// elements in their own type.
class FieldBuilder {
public:
    bool add(ConverterContext& ctx, const pb::AttributeProto& a) {
        using A = pb::AttributeProto;
        switch (a.type()) {
            case A::INT:
                return ints(a.name(), {a.i()});
            case A::INTS:
                return ints(a.name(), std::vector<int64_t>(a.ints().begin(), a.ints().end()));
            case A::FLOAT: {
                const float f = a.f();
                return put(a.name(), PluginFieldType::kFLOAT32, &f, 4, 1);
            }
            case A::FLOATS: {
                const std::vector<float> v(a.floats().begin(), a.floats().end());
                return put(a.name(), PluginFieldType::kFLOAT32, v.data(), 4, v.size());
            }
            case A::STRING:
                return put(a.name(), PluginFieldType::kCHAR, a.s().data(), 1, a.s().size());
            case A::TENSOR: {
                Constant c;
                std::string err;
                PluginFieldType t;
                if (!tensorProtoToConstant(a.t(), c, err, nullptr))
                    return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "attribute '" + a.name() + "': " + err);
                if (!fieldTypeOf(c.type, t))
                    return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                                    "attribute '" + a.name() + "' has a tensor type plugin fields cannot carry");
                return put(a.name(), t, c.bytes.data(), dataTypeSize(c.type), size_t(c.count()));
            }
            default:
                return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "attribute '" + a.name() +
                                                                  "' is of a kind plugin fields cannot carry (type " +
                                                                  std::to_string(int(a.type())) + ")");
        }
    }
    const PluginFieldCollection* collection() {
        fc_.nbFields = int32_t(fields_.size());
        fc_.fields = fields_.data();
        return &fc_;
    }

private:
    bool ints(const std::string& name, const std::vector<int64_t>& v) {
        bool narrow = true;
        for (int64_t x : v) narrow = narrow && fitsInt32(x);
        if (!narrow) return put(name, PluginFieldType::kINT64, v.data(), 8, v.size());
        const std::vector<int32_t> n(v.begin(), v.end());
        return put(name, PluginFieldType::kINT32, n.data(), 4, n.size());
    }
    bool put(const std::string& name, PluginFieldType t, const void* data, size_t elemSize, size_t count) {
        const auto* p = static_cast<const uint8_t*>(data);
        data_.emplace_back(p, p + elemSize * count);
        data_.back().push_back(0);  // strings end with a zero; never counted
        names_.push_back(name);
        fields_.emplace_back(names_.back().c_str(), data_.back().data(), t, int32_t(count));
        return true;
    }
    std::deque<std::vector<uint8_t>> data_;
    std::deque<std::string> names_;
    std::vector<PluginField> fields_;
    PluginFieldCollection fc_;
};

}  // namespace

IPluginCreator* findPluginCreator(const pb::NodeProto& node) {
    const auto* v = attr(node, "plugin_version");
    const auto* ns = attr(node, "plugin_namespace");
    const std::string version = v ? v->s() : "1";
    IPluginRegistry* registry = getPluginRegistry();
    if (ns) return registry->getPluginCreator(node.op_type().c_str(), version.c_str(), ns->s().c_str());
    const bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    IPluginCreator* c = nullptr;
    if (!defaultDomain) c = registry->getPluginCreator(node.op_type().c_str(), version.c_str(), node.domain().c_str());
    return c ? c : registry->getPluginCreator(node.op_type().c_str(), version.c_str(), "");
}

bool importPluginNode(ConverterContext& ctx, const pb::NodeProto& node, std::vector<ITensor*>& /*inputs*/,
                      std::vector<ITensor*>& outputs) {
    IPluginCreator* creator = findPluginCreator(node);
    if (!creator)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "no converter and no plugin for op '" + node.op_type() + "'");
    FieldBuilder fields;
    for (const auto& a : node.attribute()) {
        if (a.name() == "plugin_version" || a.name() == "plugin_namespace") continue;
        if (!fields.add(ctx, a)) return false;
    }
    // Trailing omitted inputs are dropped; an omitted input before a present one cannot be
    // expressed to a plugin.
    int32_t count = node.input_size();
    while (count > 0 && node.input(count - 1).empty()) --count;
    std::vector<ITensor*> ins;
    for (int32_t i = 0; i < count; ++i) {
        if (node.input(i).empty())
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                            "input " + std::to_string(i) + " is omitted, which a plugin's inputs cannot express");
        ITensor* t = ctx.tensor(i);
        if (!t) return false;
        ins.push_back(t);
    }
    const std::string layerName = node.name().empty() ? node.op_type() : node.name();
    std::unique_ptr<IPluginV2> plugin(creator->createPlugin(layerName.c_str(), fields.collection()));
    if (!plugin)
        return ctx.fail(ErrorCode::kINVALID_NODE,
                        "plugin '" + node.op_type() + "' version '" + creator->getPluginVersion() + "' namespace '" +
                            creator->getPluginNamespace() +
                            "' rejected the node's attributes (its creator reports why to the plugin registry's "
                            "logger)");
    if (plugin->getNbOutputs() < node.output_size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "plugin '" + node.op_type() + "' has " +
                                                      std::to_string(plugin->getNbOutputs()) + " outputs, the node " +
                                                      std::to_string(node.output_size()));
    IPluginV2Layer* layer = ctx.network().addPluginV2(ins.data(), int32_t(ins.size()), *plugin);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected plugin '" + node.op_type() + "'");
    ctx.nameLayer(layer);
    for (int32_t o = 0; o < node.output_size(); ++o) outputs.push_back(layer->getOutput(o));
    return true;
}

}  // namespace kiln::onnx
