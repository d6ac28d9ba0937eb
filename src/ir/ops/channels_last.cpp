#include "channels_last.h"

#include <algorithm>
#include <string>

namespace kiln::ir {

bool isChannelsLast(const Node& node) { return node.attrs.getInt("channels_last", 0) != 0; }

Shape channelsLastShape(const Shape& s) {
    if (s.size() < 3) return s;
    Shape r = s;
    std::rotate(r.begin() + 1, r.begin() + 2, r.end());
    return r;
}

Shape channelsFirstShape(const Shape& s) {
    if (s.size() < 3) return s;
    Shape r = s;
    std::rotate(r.begin() + 1, r.end() - 1, r.end());
    return r;
}

Status inferChannelsLast(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out,
                         std::initializer_list<size_t> permuted,
                         Status (*infer)(const Node&, const std::vector<TensorDesc>&, std::vector<TensorDesc>&)) {
    std::vector<TensorDesc> first = in;
    for (size_t i : permuted) {
        if (i >= first.size() || i >= node.inputs.size() || node.inputs[i] < 0) continue;
        if (first[i].shape.size() < 3)
            return Status::Error("channels_last needs inputs of rank >= 3, input " + std::to_string(i) + " has shape " +
                                 shapeToString(first[i].shape));
        first[i].shape = channelsFirstShape(first[i].shape);
        first[i].data = nullptr;  // the values are stored channels-last: not readable as channels-first
    }
    KILN_RETURN_IF_ERROR(infer(node, first, out));
    for (auto& o : out) o.shape = channelsLastShape(o.shape);
    return Status::Ok();
}

}  // namespace kiln::ir
