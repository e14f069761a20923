#include "law/observations.h"

#include <sqlite3.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "core/atomic_file.h"
#include "core/error.h"

namespace qs::law {
namespace {

// One value of one row, as either source delivers it.
struct Cell {
  bool is_null = true;
  std::string text;
  bool has_number = false;  // SQLite gave a numeric value directly (no text round trip)
  double number = 0;
};

double parse_real(const Cell& cell, const std::string& where) {
  if (cell.is_null) return std::nan("");
  if (cell.has_number) return cell.number;
  const std::string& s = cell.text;
  if (s == "nan" || s == "NaN" || s == "NA") return std::nan("");
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(s.c_str(), &end);
  require(end != s.c_str() && *end == '\0' && errno != ERANGE, where, "not a number: '" + s + "'");
  return value;
}

int64_t parse_integer(const Cell& cell, const std::string& where) {
  require(!cell.is_null, where, "missing integer value");
  if (cell.has_number) {
    require(std::floor(cell.number) == cell.number, where, "not an integer: " + cell.text);
    return static_cast<int64_t>(cell.number);
  }
  double value = parse_real(cell, where);  // accepts 8e9 as written by hand
  require(std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9.2e18, where,
          "not an integer: '" + cell.text + "'");
  return static_cast<int64_t>(value);
}

std::string parse_text(const Cell& cell, const std::string& where) {
  require(!cell.is_null && !cell.text.empty(), where, "missing text value");
  return cell.text;
}

// Builds one Observation from cells in contract-column order; `where` names the row.
Observation make_observation(const std::vector<Cell>& cells, const std::string& where) {
  const auto& names = observation_columns();
  auto at = [&](int i) { return where + ", column " + names[i]; };
  Observation o;
  o.point_id = parse_text(cells[0], at(0));
  o.model = parse_text(cells[1], at(1));
  o.architecture = cells[2].is_null ? "" : cells[2].text;
  o.n_params = parse_integer(cells[3], at(3));
  o.n_params_nonembed = cells[4].is_null ? 0 : parse_integer(cells[4], at(4));  // 0 = unknown
  o.method = parse_text(cells[5], at(5));
  o.bits = static_cast<int>(parse_integer(cells[6], at(6)));
  o.group_size = static_cast<int>(parse_integer(cells[7], at(7)));
  o.calib_samples = static_cast<int>(parse_integer(cells[8], at(8)));
  o.seed = cells[9].is_null ? 0 : parse_integer(cells[9], at(9));
  o.task = parse_text(cells[10], at(10));
  o.stratum = parse_text(cells[11], at(11));
  o.metric = cells[12].is_null ? "" : cells[12].text;
  o.acc = parse_real(cells[13], at(13));
  o.acc_stderr = parse_real(cells[14], at(14));
  o.acc_rand = parse_real(cells[15], at(15));
  o.ppl = parse_real(cells[16], at(16));
  o.ppl_fp = parse_real(cells[17], at(17));
  if (cells.size() > names.size() && !cells[names.size()].is_null) {
    const std::string where_docs = where + ", column " + kDocumentCountColumn;
    o.n_docs = parse_integer(cells[names.size()], where_docs);
    require(o.n_docs > 0, where_docs, "must be a positive document count");
  }
  require(o.method == "fp" || o.method == "gptq" || o.method == "rtn", at(5),
          "method must be fp, gptq or rtn, got '" + o.method + "'");
  require(o.n_params > 0, at(3), "n_params must be positive");
  require(o.bits > 0, at(6), "bits must be positive");
  require(o.group_size == -1 || o.group_size > 0, at(7), "group_size must be -1 (per channel) or positive");
  require(o.calib_samples >= 0, at(8), "calib_samples must be >= 0");
  require(std::isnan(o.acc_rand) || (o.acc_rand >= 0 && o.acc_rand < 1), at(15), "acc_rand must lie in [0, 1)");
  return o;
}

// Splits one CSV record (RFC 4180 quoting: "a,b" and "" inside quotes).
std::vector<Cell> split_csv(const std::string& line, const std::string& where) {
  std::vector<Cell> cells;
  Cell cell;
  bool quoted = false, was_quoted = false;
  auto flush = [&] {
    cell.is_null = cell.text.empty() && !was_quoted;
    cells.push_back(cell);
    cell = Cell{};
    was_quoted = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell.text += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell.text += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == ',') {
      flush();
    } else if (c != '\r') {
      cell.text += c;
    }
  }
  require(!quoted, where, "unterminated quoted field");
  flush();
  return cells;
}

}  // namespace

const std::vector<std::string>& observation_columns() {
  static const std::vector<std::string> columns = {
      "point_id", "model",     "architecture", "n_params", "n_params_nonembed", "method",
      "bits",     "group_size", "calib_samples", "seed",    "task",              "stratum",
      "metric",   "acc",       "acc_stderr",   "acc_rand", "ppl",               "ppl_fp"};
  return columns;
}

std::vector<Observation> load_observations_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    throw Error(path, "cannot open SQLite store: " + message);
  }
  std::string columns;
  const auto& names = observation_columns();
  for (size_t i = 0; i < names.size(); ++i) columns += (i ? ", " : "") + names[i];
  // n_docs is in the view from schema version 2 on; a version-1 store (or a hand-made table)
  // is read without it.
  sqlite3_stmt* stmt = nullptr;
  size_t n_columns = names.size() + 1;
  std::string with_docs = "SELECT " + columns + ", " + kDocumentCountColumn + " FROM law_observations";
  if (sqlite3_prepare_v2(db, with_docs.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    stmt = nullptr;
    n_columns = names.size();
  }
  const std::string sql = "SELECT " + columns + " FROM law_observations";
  if (stmt == nullptr && sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw Error(path, "cannot read the law_observations view (is this a quantscale results store?): " + message);
  }
  std::vector<Observation> rows;
  int rc;
  try {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Cell> cells(n_columns);
      for (int i = 0; i < static_cast<int>(n_columns); ++i) {
        int type = sqlite3_column_type(stmt, i);
        Cell& cell = cells[i];
        cell.is_null = type == SQLITE_NULL;
        if (cell.is_null) continue;
        const unsigned char* text = sqlite3_column_text(stmt, i);
        cell.text = text ? reinterpret_cast<const char*>(text) : "";
        if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
          cell.has_number = true;
          cell.number = sqlite3_column_double(stmt, i);
        }
      }
      rows.push_back(make_observation(cells, path + ": law_observations row " + std::to_string(rows.size() + 1)));
    }
  } catch (...) {
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    throw;
  }
  std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  require(rc == SQLITE_DONE, path, "reading law_observations failed: " + message);
  return rows;
}

std::vector<Observation> load_observations_csv(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line;
  require(static_cast<bool>(std::getline(in, line)), path, "empty CSV file (no header)");
  std::vector<Cell> header = split_csv(line, path + ":1");
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < header.size(); ++i) position[header[i].text] = i;
  const auto& names = observation_columns();
  std::vector<size_t> source(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = position.find(names[i]);
    require(it != position.end(), path + ":1", "CSV header lacks column '" + names[i] + "'");
    source[i] = it->second;
  }
  auto docs_column = position.find(kDocumentCountColumn);  // optional
  std::vector<Observation> rows;
  // (point_id, task, metric) is the view's key: a repeated row would be fitted twice (weighting
  // that point double), so it is an error naming both lines rather than a silent dedupe.
  std::map<std::tuple<std::string, std::string, std::string>, int> first_line;
  for (int line_number = 2; std::getline(in, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(line_number);
    std::vector<Cell> cells = split_csv(line, where);
    require(cells.size() == header.size(), where,
            "expected " + std::to_string(header.size()) + " fields, found " + std::to_string(cells.size()));
    std::vector<Cell> ordered(names.size());
    for (size_t i = 0; i < names.size(); ++i) ordered[i] = cells[source[i]];
    if (docs_column != position.end()) ordered.push_back(cells[docs_column->second]);
    rows.push_back(make_observation(ordered, where));
    const Observation& o = rows.back();
    auto [seen, inserted] = first_line.emplace(std::tuple(o.point_id, o.task, o.metric), line_number);
    require(inserted, where,
            "duplicate row: point_id '" + o.point_id + "', task '" + o.task + "', metric '" + o.metric +
                "' already on line " + std::to_string(seen->second) + " (each point, task and metric once)");
  }
  return rows;
}

std::vector<Observation> load_observations(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  require(probe.good(), path, "cannot open (no such file?)");
  char magic[16] = {};
  probe.read(magic, sizeof magic);
  if (probe.gcount() == 16 && std::string(magic, 15) == "SQLite format 3") return load_observations_sqlite(path);
  return load_observations_csv(path);
}

std::string observations_to_csv(const std::vector<Observation>& rows) {
  std::string out;
  const auto& names = observation_columns();
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  out += std::string(",") + kDocumentCountColumn + '\n';
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto real = [](double v) {
    if (std::isnan(v)) return std::string();
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return std::string(buffer);
  };
  for (const auto& o : rows) {
    out += quote(o.point_id) + "," + quote(o.model) + "," + quote(o.architecture) + "," +
           std::to_string(o.n_params) + "," + std::to_string(o.n_params_nonembed) + "," + o.method + "," +
           std::to_string(o.bits) + "," + std::to_string(o.group_size) + "," + std::to_string(o.calib_samples) +
           "," + std::to_string(o.seed) + "," + quote(o.task) + "," + quote(o.stratum) + "," + quote(o.metric) +
           "," + real(o.acc) + "," + real(o.acc_stderr) + "," + real(o.acc_rand) + "," + real(o.ppl) + "," +
           real(o.ppl_fp) + "," + (o.n_docs > 0 ? std::to_string(o.n_docs) : std::string()) + "\n";
  }
  return out;
}

}  // namespace qs::law
