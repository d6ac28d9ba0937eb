#include "layer_util.h"

namespace kiln::api {

Weights weightsOf(const NetworkImpl& net, int value) {
    Weights w;
    if (value < 0) return w;
    const auto& v = net.graph().values[size_t(value)];
    if (!v.data) return w;
    w.type = fromIR(v.dtype);
    w.values = v.data->data();
    w.count = int64_t(v.data->size() / ir::dtypeSize(v.dtype));
    return w;
}

void replaceWeights(NetworkImpl& net, int nodeIndex, int slot, const Weights& w, const char* role, bool optional) {
    ir::Node& n = net.graph().nodes[size_t(nodeIndex)];
    if (w.count == 0) {
        if (!optional) {
            logError(net.logger(), "layer '" + n.name + "': " + role + " weights cannot be empty");
            return;
        }
        n.inputs[size_t(slot)] = -1;
    } else {
        const int v = net.addWeights(n.name + "_" + role, w, {}, n.name.c_str());
        if (v < 0) return;
        net.graph().nodes[size_t(nodeIndex)].inputs[size_t(slot)] = v;
    }
    net.invalidateFrom(net.layerOfNode(nodeIndex));
}

}  // namespace kiln::api
