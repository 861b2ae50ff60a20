// `prunescope-cli bench tokenizer`: encoding and decoding speed of a tokenizer on ~1 MB of text.
#pragma once

#include "app/cli/commands.h"

namespace prunescope::cli {

// argv: the arguments after "bench tokenizer".
int benchTokenizer(const Argv& argv);

}  // namespace prunescope::cli
