// Subgraphs (If branches, Loop and Scan bodies) imported inline into the
// enclosing network, with ONNX's scoping: a subgraph sees the names of the
// scopes around it, and its own names shadow them only while it is imported.
#include <set>

#include "importer.h"

namespace kiln::onnx {

namespace {

// Names a graph reads that it does not define itself (nested subgraphs included).
void outerNames(const pb::GraphProto& g, std::set<std::string>& reads) {
    std::set<std::string> defined;
    for (const auto& i : g.input()) defined.insert(i.name());
    for (const auto& i : g.initializer()) defined.insert(i.name());
    for (const auto& n : g.node())
        for (const auto& o : n.output()) defined.insert(o);
    std::set<std::string> used;
    for (const auto& n : g.node()) {
        for (const auto& i : n.input())
            if (!i.empty()) used.insert(i);
        for (const auto& a : n.attribute()) {
            if (a.has_g()) outerNames(a.g(), used);
            for (const auto& sub : a.graphs()) outerNames(sub, used);
        }
    }
    for (const auto& o : g.output()) used.insert(o.name());
    for (const auto& u : used)
        if (!defined.count(u)) reads.insert(u);
}

}  // namespace

bool Importer::importSubgraph(const pb::GraphProto& body, const std::vector<ITensor*>& bindings,
                              std::vector<ITensor*>& outputs, int32_t ownerIndex, const pb::NodeProto& owner,
                              const std::function<ITensor*(ITensor&)>& enter) {
    if (int(bindings.size()) > body.input_size()) {
        recordError(ErrorCode::kINVALID_NODE,
                    "subgraph '" + body.name() + "' has " + std::to_string(body.input_size()) + " inputs, given " +
                        std::to_string(bindings.size()),
                    ownerIndex, &owner);
        return false;
    }
    // Remember every entry the subgraph shadows, to restore it afterwards.
    std::map<std::string, ITensor*> savedTensors;
    std::map<std::string, Constant> savedConstants;
    std::set<std::string> touched;
    auto shadow = [&](const std::string& name) {
        if (!touched.insert(name).second) return;
        if (auto it = mTensors.find(name); it != mTensors.end()) savedTensors[name] = it->second;
        if (auto it = mConstants.find(name); it != mConstants.end()) savedConstants[name] = it->second;
        mTensors.erase(name);
        mConstants.erase(name);
    };
    bool ok = true;
    if (enter) {
        std::set<std::string> reads;
        outerNames(body, reads);
        for (const auto& name : reads) {
            auto it = mTensors.find(name);
            if (it == mTensors.end() || mConstants.count(name)) continue;  // constants are read directly
            ITensor* outer = it->second;
            shadow(name);
            ITensor* inner = enter(*outer);
            if (!inner)
                ok = false;
            else
                mTensors[name] = inner;
        }
    }
    for (int k = 0; ok && k < body.input_size(); ++k) {
        if (size_t(k) >= bindings.size() || !bindings[size_t(k)]) continue;
        shadow(body.input(k).name());
        mTensors[body.input(k).name()] = bindings[size_t(k)];
    }
    for (const auto& init : body.initializer()) {
        if (!ok) break;
        Constant c;
        std::string err;
        shadow(init.name());
        if (!tensorProtoToConstant(init, c, err, mModelDir.empty() ? nullptr : mModelDir.c_str())) {
            recordError(ErrorCode::kINVALID_VALUE, "subgraph initializer: " + err, ownerIndex, &owner);
            ok = false;
        } else {
            mConstants[init.name()] = std::move(c);
        }
    }
    for (const auto& n : body.node())
        for (const auto& o : n.output())
            if (!o.empty()) shadow(o);
    for (int i = 0; ok && i < body.node_size(); ++i) ok = importNode(body.node(i), ownerIndex);
    for (int k = 0; ok && k < body.output_size(); ++k) {
        ITensor* t = materialize(body.output(k).name());
        if (!t) {
            recordError(ErrorCode::kINVALID_GRAPH, "subgraph output '" + body.output(k).name() + "' is not produced",
                        -1, nullptr);
            ok = false;
        }
        outputs.push_back(t);
    }
    for (const auto& name : touched) {
        mTensors.erase(name);
        mConstants.erase(name);
    }
    for (auto& [name, t] : savedTensors) mTensors[name] = t;
    for (auto& [name, c] : savedConstants) mConstants[name] = std::move(c);
    return ok;
}

}  // namespace kiln::onnx
