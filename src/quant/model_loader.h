#pragma once
// Renamed to quant/gptq_import.h (issue 16); this forward stays only until quant/quantize_model.cpp
// (split by another branch) includes the new name.
#include "quant/gptq_import.h"
