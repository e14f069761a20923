#pragma once
// What may go into a generated sbatch script. Every value is checked against the syntax sbatch
// accepts (sbatch(1): --time, --mem, --partition, filename patterns) before it is written, so a
// newline, '$(...)', a backtick or ';' in a study file or on the command line never becomes a
// line of the script. Each check returns what is wrong ("" when the value is valid).
#include <string>
#include <string_view>

#include "sweep/study.h"

namespace qs {

// "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS", "UNLIMITED" or "INFINITE".
std::string slurm_time_problem(std::string_view time);

// "<integer>" (MB) or "<integer>K|M|G|T" (either case), e.g. "4G", "4096M".
std::string slurm_mem_problem(std::string_view mem);

// One partition name or a comma-separated list of them: letters, digits, '_', '.', '-'.
std::string slurm_partition_problem(std::string_view partition);

// A job name: 1 to 128 letters, digits, '_', '.', '+', '-'.
std::string slurm_job_name_problem(std::string_view name);

// One `extra` directive: "--flag" or "--flag=value", the value made of letters, digits and
// _.,:/=+@%- or written in double quotes (then anything but '"', '\' and control characters).
// Flags that quantscale sets itself or that would replace the script are refused.
std::string slurm_directive_problem(std::string_view directive);

// A folder written double-quoted into "#SBATCH --output=": no '"', '\', '%' (a Slurm filename
// pattern) or control character.
std::string slurm_path_problem(std::string_view path);

// The value as it may be shown in an error message: control characters as \n, \t, \xNN.
std::string printable(std::string_view value);

// Checks name, output folder and every [slurm] value of a study whose Slurm resources may have
// been overridden on the command line. Throws qs::Error(study.file, "<field> '<value>': <problem>").
void check_slurm_values(const Study& study);

}  // namespace qs
