// CSV datasets: one example per line, numeric features and one label column. Gzipped files are
// read transparently. Rules (docs/data.md):
//  * header "auto": the first line is a header if any feature field in it is not a number (or its
//    label is not a number while the next line's is); "none": every line is data; "skip": the
//    first line is always dropped. sklearn's headers ("150,4,setosa,versicolor,virginica") give
//    class_names when the count of names after the first two fields equals the class count.
//  * labels: integers 0..K-1 as given (K = largest + 1); or, when the label column holds text
//    (letter-recognition: "T,2,8,3,..."), the sorted distinct strings become 0..K-1 and
//    class_names.
//  * errors name file, line and column: ragged rows, a non-numeric feature, an empty file, a
//    negative or fractional label.
#pragma once

#include <string>
#include <vector>

#include "gradnet/data/dataset.h"
#include "gradnet/data/options.h"

namespace gradnet {

// label_column: 0-based; -1 = last (negative counts from the end, like Python).
// class_names: text labels are mapped through this list (e.g. the training file's names, so a
// separate test file numbers classes the same way); a name not in it is an error. Empty: sorted.
Dataset load_csv(const std::string& path, Index label_column = -1, CsvHeader header = CsvHeader::automatic,
                 const std::vector<std::string>& class_names = {});

// Feature rows for `gradnet predict`: every line must hold `features` numbers, or features + 1
// fields of which label_column (ignored) is the label. A text first line is skipped. y = zeros.
Dataset load_csv_features(const std::string& path, Index features, Index label_column = -1);

}  // namespace gradnet
