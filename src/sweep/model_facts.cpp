#include "sweep/model_facts.h"

#include "sweep/grid.h"

namespace qs {

ModelFacts model_facts(const std::string& name, const ModelFolder& folder) {
  ModelFacts facts;
  facts.name = name;
  facts.path = folder.dir();
  facts.architecture = folder.config().architecture;
  facts.n_params = folder.parameters().total;
  facts.n_params_nonembed = folder.parameters().non_embedding;
  facts.file_hash = fnv1a_hex(folder.fingerprint_text());
  return facts;
}

ModelFacts read_model_facts(const std::string& name, const std::string& folder) {
  return model_facts(name, ModelFolder::open(folder));
}

}  // namespace qs
