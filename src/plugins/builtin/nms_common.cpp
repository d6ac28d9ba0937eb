#include "nms_common.h"

#include <algorithm>

namespace kiln::builtin {

void sortDetections(std::vector<Detection>& d) {
    std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) {
        if (a.score != b.score) return a.score > b.score;
        if (a.label != b.label) return a.label < b.label;
        return a.rank < b.rank;
    });
}

}  // namespace kiln::builtin
