// The sbatch script and the Slurm subprocesses under hostile input: a study name, [slurm] value,
// output folder or saved job id holding a newline, '$(...)', a backtick or ';' never runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "sweep/slurm_sweep.h"
#include "sweep/slurm_values.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void write_executable(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0755);
}

// A study that needs no model folder: slurm_batch_script reads names, paths and resources only.
Study script_study(const std::string& output_dir) {
  Study study;
  study.file = "hostile.toml";
  study.name = "tiny";
  study.output_dir = output_dir;
  study.slurm.partition = "gpu,debug";
  study.slurm.time = "1-02:00:00";
  study.slurm.mem = "4096M";
  study.slurm.extra_directives = {"--account=proj_1", "--comment=\"two words\""};
  return study;
}

// Runs the script as a Slurm array task would, with bash and a harmless executable (a stub that
// records its arguments one per line); returns the recorded arguments.
std::vector<std::string> run_script(const test::ScratchDir& dir, const std::string& script) {
  write_file_atomic(dir.file("job.sbatch"), script);
  auto syntax = test::run_shell("/bin/bash -n " + dir.file("job.sbatch"));
  EXPECT_EQ(syntax.exit_code, 0) << syntax.output;
  auto run = test::run_shell("cd " + dir.path() + " && env -i PATH=/usr/bin:/bin SLURM_ARRAY_TASK_ID=3 "
                             "SLURM_CPUS_PER_TASK=1 /bin/bash " + dir.file("job.sbatch"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> args;
  std::ifstream in(dir.file("args.txt"));
  for (std::string line; std::getline(in, line);) args.push_back(line);
  return args;
}

TEST(SlurmScript, HostileOutputFolderIsQuotedAndNothingRuns) {
  test::ScratchDir dir("slurm_script_paths");
  write_executable(dir.file("stub"), "#!/bin/bash\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args.txt\"\n");
  // Spaces, command substitution, backticks and ';' are legal in a folder name.
  const std::string output = dir.path() + "/out dir $(touch PWNED1) `touch PWNED2`; touch PWNED3";
  const std::string study_file = dir.path() + "/my study; touch PWNED4.toml";
  SweepOptions options;
  options.executable = dir.file("stub");
  options.study_path = study_file;
  std::string script = slurm_batch_script(script_study(output), options, {0, 1, 2, 5});

  EXPECT_THAT(script, HasSubstr("#SBATCH --output=\"" + output + "/slurm/logs/%A_%a.out\"\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --job-name=qs-tiny\n#SBATCH --array=0-2,5\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --time=1-02:00:00\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --comment=\"two words\"\n"));
  std::vector<std::string> args = run_script(dir, script);
  std::vector<std::string> expected = {"--threads", "1", "sweep", study_file, "--output", output,
                                       "--point-index", "3", "--result-dir", output + "/results"};
  EXPECT_EQ(args, expected);
  for (const char* marker : {"PWNED1", "PWNED2", "PWNED3", "PWNED4"})
    EXPECT_FALSE(fs::exists(dir.file(marker))) << marker << " was created by the script";
}

struct Hostile {
  const char* field;
  std::function<void(Study&, const std::string&)> set;
};

TEST(SlurmScript, HostileValuesAreRefusedNamingFileAndField) {
  test::ScratchDir dir("slurm_script_values");
  write_executable(dir.file("stub"), "#!/bin/bash\nexit 0\n");
  const std::string marker = dir.file("PWNED");
  const std::vector<std::string> payloads = {"x\ntouch " + marker, "x$(touch " + marker + ")",
                                             "x`touch " + marker + "`", "x; touch " + marker, "x y"};
  const std::vector<Hostile> fields = {
      {"study.name", [](Study& s, const std::string& v) { s.name = v; }},
      {"slurm.partition", [](Study& s, const std::string& v) { s.slurm.partition = v; }},
      {"slurm.time", [](Study& s, const std::string& v) { s.slurm.time = "01:00:00" + v; }},
      {"slurm.mem", [](Study& s, const std::string& v) { s.slurm.mem = "4G" + v; }},
      {"slurm.extra", [](Study& s, const std::string& v) { s.slurm.extra_directives = {"--comment=" + v}; }},
      {"output folder", [](Study& s, const std::string& v) { s.output_dir = "/tmp/a\"b" + v; }},
  };
  SweepOptions options;
  options.executable = dir.file("stub");
  options.study_path = dir.file("s.toml");
  int refused = 0;
  for (const auto& field : fields) {
    for (const auto& payload : payloads) {
      Study study = script_study(dir.file("out"));
      field.set(study, payload);
      std::string script;
      try {
        script = slurm_batch_script(study, options, {0});
      } catch (const Error& e) {
        ++refused;
        EXPECT_EQ(e.where(), "hostile.toml");
        EXPECT_THAT(e.what_failed(), HasSubstr(field.field));
        EXPECT_EQ(e.what_failed().find('\n'), std::string::npos) << "the message shows control characters escaped";
        continue;
      }
      ADD_FAILURE() << field.field << " = '" << printable(payload) << "' was written into the script";
      write_file_atomic(dir.file("job.sbatch"), script);
      test::run_shell("cd " + dir.path() + " && env -i PATH=/usr/bin:/bin SLURM_ARRAY_TASK_ID=0 /bin/bash job.sbatch");
      EXPECT_FALSE(fs::exists(marker)) << field.field << " = '" << printable(payload) << "' ran a command";
      fs::remove(marker);
    }
  }
  EXPECT_EQ(refused, static_cast<int>(fields.size() * payloads.size()));
}

TEST(SlurmValues, AcceptWhatSbatchAcceptsOnly) {
  for (const char* time : {"30", "30:00", "04:00:00", "2-0", "2-04", "2-04:30", "2-04:30:00", "UNLIMITED"})
    EXPECT_EQ(slurm_time_problem(time), "") << time;
  for (const char* time : {"", "1:2:3:4", "1-2-3", "-1", "1h", "04:00:00 ", ":30", "1-", "1234567890"})
    EXPECT_NE(slurm_time_problem(time), "") << time;
  for (const char* mem : {"4G", "4096M", "4096", "1t", "0"}) EXPECT_EQ(slurm_mem_problem(mem), "") << mem;
  for (const char* mem : {"", "G", "4GB", "4.5G", "-4G", "4 G"}) EXPECT_NE(slurm_mem_problem(mem), "") << mem;
  for (const char* p : {"gpu", "gpu,debug", "long_queue-2.a"}) EXPECT_EQ(slurm_partition_problem(p), "") << p;
  for (const char* p : {"", "gpu,", ",gpu", "gpu debug", "gpu;x"}) EXPECT_NE(slurm_partition_problem(p), "") << p;
  for (const char* d : {"--exclusive", "--account=proj_1", "--gres=gpu:1", "--mail-type=END,FAIL",
                        "--comment=\"two words\"", "--constraint=\"a|b\""})
    EXPECT_EQ(slurm_directive_problem(d), "") << d;
  for (const char* d : {"-N 2", "--account proj", "--wrap=\"id\"", "--out=/tmp/x", "--array=1-3", "--comment=a b",
                        "--comment=\"a\\\"b\"", "--comment=\"", "--=x", "--comment=#x"})
    EXPECT_NE(slurm_directive_problem(d), "") << d;
  EXPECT_EQ(printable("a\nb\x01"), "a\\nb\\x01");
}

TEST(SlurmValues, StudyFileErrorsNameTheLine) {
  const std::string grid = "methods = [\"rtn\"]\nbits = [4]\ngroup_sizes = [32]\n";
  const std::string base = test::tiny_study("out", grid);
  auto error_of = [&](const std::string& slurm) -> std::string {
    try {
      parse_study(base + "\n[slurm]\n" + slurm, "study.toml");
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_THAT(error_of("time = \"01:00:00\\ntouch PWNED\"\n"), HasSubstr("slurm.time '01:00:00\\ntouch PWNED'"));
  EXPECT_THAT(error_of("mem = \"4G; rm -rf ~\"\n"), HasSubstr("slurm.mem"));
  EXPECT_THAT(error_of("partition = \"$(id)\"\n"), HasSubstr("slurm.partition"));
  EXPECT_THAT(error_of("extra = [\"--qos=high\", \"--comment=`id`\"]\n"), HasSubstr("slurm.extra '--comment=`id`'"));
  EXPECT_THAT(error_of("cpus_per_task = 0\n"), HasSubstr("slurm.cpus_per_task"));
  EXPECT_THAT(error_of("time = \"x\"\n"), HasSubstr("study.toml:"));
  EXPECT_EQ(error_of("time = \"2-00:00:00\"\nmem = \"16G\"\npartition = \"gpu\"\nextra = [\"--qos=high\"]\n"),
            "(no error)");
}

// The saved job id reaches squeue: anything but digits is refused before any program runs.
TEST(SlurmSweep, HostileJobIdFileNeverExecutes) {
  test::ScratchDir dir("slurm_job_id");
  const std::string grid = "methods = [\"rtn\"]\nbits = [4]\ngroup_sizes = [32]\n";
  std::ofstream(dir.file("study.toml")) << test::tiny_study("out", grid);
  fs::create_directories(dir.file("bin"));
  // Stubs, so that the old code (which ran the id through /bin/sh) finds a squeue and an sbatch
  // here and never a real cluster; each call is logged.
  write_executable(dir.file("bin/squeue"), "#!/bin/bash\necho squeue \"$@\" >> " + dir.file("calls.txt") + "\n");
  write_executable(dir.file("bin/sbatch"), "#!/bin/bash\necho sbatch \"$@\" >> " + dir.file("calls.txt") +
                                               "\necho 42\n");
  fs::create_directories(dir.file("out/slurm"));
  const std::string marker = dir.file("PWNED");
  std::ofstream(dir.file("out/slurm/job_id")) << "1; touch " << marker << " #\n";

  auto run = test::run_shell("cd " + dir.path() + " && PATH=" + dir.file("bin") + ":/usr/bin:/bin QS_NO_PROGRESS=1 " +
                             QS_BINARY + " sweep study.toml --backend slurm --poll-seconds 0.01");
  EXPECT_FALSE(fs::exists(marker)) << "the job_id file's contents ran as a command";
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("out/slurm/job_id"));
  EXPECT_THAT(run.output, HasSubstr("not a Slurm job id"));
  EXPECT_FALSE(fs::exists(dir.file("calls.txt"))) << "squeue or sbatch ran with a refused job id";
}

}  // namespace
}  // namespace qs
