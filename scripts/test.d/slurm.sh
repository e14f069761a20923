#!/usr/bin/env bash
# A real Slurm run (no mock): starts munged, slurmctld and slurmd for a one-node cluster on
# localhost, sweeps a small study as a job array, and checks that the merged store equals the
# local backend's store for the same study. Stops the daemons it started. Needs root (or sudo)
# and the slurm-wlm + munge packages of scripts/install_deps.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
QS="${QS_BINARY:-$ROOT/build/quantscale}"
export QS_SHARED_DIR="${QS_SHARED_DIR:-$(cd "$ROOT/.." && pwd)/shared}"
export QS_NO_PROGRESS=1
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
[ -x "$QS" ] || { echo "slurm.sh: $QS not built" >&2; exit 1; }

WORK="$(mktemp -d /tmp/qs-slurm.XXXXXX)"
chmod 755 "$WORK"
HOST="$(hostname -s)"
CPUS="$(nproc)"
MUNGE_STARTED=""
cleanup() {
  set +e
  for pidfile in "$WORK/slurmd.pid" "$WORK/slurmctld.pid"; do
    [ -s "$pidfile" ] && $SUDO kill "$(cat "$pidfile")" 2>/dev/null
  done
  if [ -n "$MUNGE_STARTED" ] && [ -s /run/munge/munged.pid ]; then $SUDO kill "$(cat /run/munge/munged.pid)"; fi
  sleep 1
  $SUDO rm -rf "$WORK"
}
trap cleanup EXIT

# munge: a key (once per machine), then munged as user munge unless one already answers.
$SUDO mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
$SUDO chown munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
    { $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none &&
      $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 400 /etc/munge/munge.key; }
fi
if ! munge -n >/dev/null 2>&1; then
  $SUDO runuser -u munge -- /usr/sbin/munged
  MUNGE_STARTED=1
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge >/dev/null

# A one-node cluster whose state lives in $WORK (DESIGN.md "Scale-out").
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/log"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=quantscale-ci
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldPort=${QS_SLURMCTLD_PORT:-6817}
SlurmdPort=${QS_SLURMD_PORT:-6818}
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$WORK/slurm.conf"
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld -f "$SLURM_CONF"
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)"
  [ "$state" = "idle" ] && break
  sleep 0.2
done
[ "$state" = "idle" ] || { echo "slurm node never became idle (state: $state)"; cat "$WORK"/log/*.log; exit 1; }
echo "slurm: one-node cluster on $HOST with $CPUS CPUs is up"

# The same small study through both backends. Real points once the pipeline stages exist:
# drop the [sweep] section (one line) to switch from the synthetic runner.
SWEEP_SECTION=""  # real points; synthetic runner: $'[sweep]\nrunner = "synthetic"'
cat > "$WORK/study.toml" <<STUDY
[study]
name = "slurm-ci"
[[model]]
path = "\${shared}/models/tinystories-656k"
[quantization]
methods = ["gptq", "rtn"]
bits = [3, 4]
group_sizes = [32, -1]
calib_samples = [8]
calib_source = "\${shared}/calibration/wikitext2_train_5k.txt"
calib_seq_len = 64
[evaluation]
tasks = ["arc_easy", "piqa"]
limit = 8
[perplexity]
text = "\${shared}/text/wikitext2/wiki.test.raw"
ctx = 64
max_tokens = 512
$SWEEP_SECTION
STUDY
"$QS" --threads 1 sweep "$WORK/study.toml" --output "$WORK/local"
# The Slurm output folder's name holds a space, ';' and '$(...)': sbatch must read the quoted
# "#SBATCH --output=" and bash the quoted exec line, and nothing may run (no PWNED file).
SLURM_OUT="$WORK/slurm out; \$(touch PWNED)"
"$QS" --threads 1 sweep "$WORK/study.toml" --output "$SLURM_OUT" --backend slurm \
  --cpus-per-task 1 --mem none --time 00:10:00 --poll-seconds 0.5
ls "$SLURM_OUT/slurm/logs" | head -3
if [ -e PWNED ] || [ -e "$WORK/PWNED" ]; then echo "slurm: the output folder's name ran as a command"; exit 1; fi

query() { sqlite3 -batch "$1" "$2"; }
points="$("$QS" sweep "$WORK/study.toml" --output "$WORK/local" --list | wc -l)"
for out in "$WORK/local" "$SLURM_OUT"; do
  n="$(query "$out/results.db" "SELECT count(*) FROM runs WHERE status = 'ok'")"
  [ "$n" = "$points" ] || { echo "$out store has $n finished points, grid has $points"; exit 1; }
done
for sql in "SELECT * FROM law_observations ORDER BY point_id, task" \
           "SELECT * FROM quant_layers ORDER BY point_id, layer" \
           "SELECT point_id, method, bits, group_size, calib_samples, seed, settings FROM configurations ORDER BY point_id"; do
  if ! diff <(query "$WORK/local/results.db" "$sql") <(query "$SLURM_OUT/results.db" "$sql"); then
    echo "slurm store differs from the local store in: $sql"; exit 1
  fi
done
# Merging again is a no-op.
"$QS" sweep "$WORK/study.toml" --output "$SLURM_OUT" --merge | grep -q "merged 0 new point"
echo "slurm: $points points through a real job array; merged store equals the local store"
