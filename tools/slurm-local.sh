#!/usr/bin/env bash
# A single-node Slurm on this machine, for trying `dluxshera experiment submit --slurm` end to end.
#
#   tools/slurm-local.sh install    apt-get install slurm-wlm munge (Debian; needs root)
#   tools/slurm-local.sh start      munge key + munged, a minimal slurm.conf (this host, its CPUs and memory,
#                                   one partition "local"), slurmctld and slurmd started directly (no systemd)
#   tools/slurm-local.sh stop       stops the daemons this script started
#   tools/slurm-local.sh demo SPEC [OUT]   start, submit SPEC as an array job, wait for it, print status, stop
#
# Root is needed (SlurmUser=root, /etc/slurm, /etc/munge). Nothing here is for a real cluster: see
# docs/experiments.md for that.
set -euo pipefail

STATE=/tmp/dluxshera-slurm-local
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

die() { echo "slurm-local: $*" >&2; exit 1; }

install() {
  [ "$(id -u)" = 0 ] || die "run as root (apt-get install)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
}

start() {
  [ "$(id -u)" = 0 ] || die "run as root (SlurmUser=root, /etc/munge, /etc/slurm)"
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
    || die "slurm-wlm and munge are not installed (tools/slurm-local.sh install)"
  mkdir -p "$STATE" /etc/munge /run/munge /var/lib/munge /var/log/munge /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 0700 /etc/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  chmod 0400 /etc/munge/munge.key
  if ! munge -n >/dev/null 2>&1 </dev/null; then
    runuser -u munge -- /usr/sbin/munged --force
    for _ in $(seq 50); do munge -n >/dev/null 2>&1 </dev/null && break; sleep 0.1; done
    munge -n >/dev/null 2>&1 </dev/null || die "munged did not start"
    echo started > "$STATE/munged"
  fi

  # slurmd -C reports this node as Slurm sees it (CPUs, sockets, cores, threads, RealMemory).
  local node
  node=$(slurmd -C | head -n 1)
  [ -f "$CONF" ] && [ ! -f "$STATE/conf-written" ] && cp "$CONF" "$STATE/slurm.conf.before"
  cat > "$CONF" <<CONF
# Written by tools/slurm-local.sh: one node, one partition, no accounting, no cgroups.
ClusterName=dluxshera-local
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
KillWait=30
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
  touch "$STATE/conf-written"
  [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null || slurmctld -i
  [ -f "$STATE/slurmd.pid" ] && kill -0 "$(cat "$STATE/slurmd.pid")" 2>/dev/null || slurmd
  for _ in $(seq 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "slurm-local: up: $(sinfo -h -o '%P %D %c CPUs %m MB %T')"
      return 0
    fi
    sleep 0.2
  done
  scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
  sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' || die "the node did not come up; see $STATE/slurmctld.log and $STATE/slurmd.log"
}

stop() {
  for daemon in slurmd slurmctld; do
    if [ -f "$STATE/$daemon.pid" ]; then
      kill "$(cat "$STATE/$daemon.pid")" 2>/dev/null || true
      rm -f "$STATE/$daemon.pid"
    fi
  done
  if [ -f "$STATE/munged" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$STATE/munged"
  fi
  if [ -f "$STATE/conf-written" ]; then
    if [ -f "$STATE/slurm.conf.before" ]; then mv "$STATE/slurm.conf.before" "$CONF"; else rm -f "$CONF"; fi
    rm -f "$STATE/conf-written"
  fi
  echo "slurm-local: stopped"
}

demo() {
  local spec=${1:?usage: tools/slurm-local.sh demo SPEC [OUT]} out=${2:-experiments}
  local root; root=$(cd "$(dirname "$0")/.." && pwd)
  start
  trap stop EXIT
  local job
  job=$(dotnet run --project "$root/host/DluxShera.Host" -- experiment submit "$spec" --slurm --out "$out" --array-size 3 | tail -n 1)
  echo "slurm-local: submitted job $job"
  while squeue -h -j "$job" 2>/dev/null | grep -q .; do sleep 1; done
  dotnet run --project "$root/host/DluxShera.Host" --no-build -- experiment status "$out/$(python3 -c 'import json,sys,re; t=open(sys.argv[1]).read(); t=re.sub(r"^\s*//.*$", "", t, flags=re.M); print(json.loads(t)["experiment"])' "$spec")"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  demo) shift; demo "$@" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
