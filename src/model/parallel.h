#pragma once
// Moved to core/parallel.h (issue 16); this forward stays only until model/linear.cpp,
// model/transformer.cpp and quant/gptq.cpp (edited on other branches) include the new name.
#include "core/parallel.h"
