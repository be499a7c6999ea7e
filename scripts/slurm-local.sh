#!/usr/bin/env bash
# A throwaway single-node Slurm on localhost for tests (Debian's slurm-wlm + munge):
#   scripts/slurm-local.sh install   apt-get install slurm-wlm munge (root)
#   scripts/slurm-local.sh start     write a config under $QS_SLURM_DIR (default /tmp/qs-slurm), start
#                                    munged, slurmctld and slurmd; prints the SLURM_CONF to export
#   scripts/slurm-local.sh stop      stop the daemons
set -euo pipefail
DIR=${QS_SLURM_DIR:-/tmp/qs-slurm}
CONF=$DIR/slurm.conf

case "${1:-}" in
install)
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  fi
  ;;
start)
  mkdir -p "$DIR/state" "$DIR/spool" /run/munge /var/log/munge /var/lib/munge
  if [ ! -f /etc/munge/munge.key ]; then mkdir -p /etc/munge; dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; fi
  chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
  # remember when this script started munged, so that stop stops it again (and leaves a system one alone)
  if ! pgrep -x munged >/dev/null; then munged --force && touch "$DIR/munged-started-here"; fi
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  cat > "$CONF" <<CONF
ClusterName=quantscope-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$CONF
  pgrep -x slurmctld >/dev/null || slurmctld -f "$CONF"
  pgrep -x slurmd >/dev/null || slurmd -f "$CONF" -N localhost
  for _ in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed|alloc'; then echo "SLURM_CONF=$CONF"; exit 0; fi
    scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "slurm did not come up; see $DIR/slurmctld.log and $DIR/slurmd.log" >&2
  exit 1
  ;;
stop)
  pkill -x slurmd || true
  pkill -x slurmctld || true
  if [ -f "$DIR/munged-started-here" ]; then
    pkill -x munged || true
    rm -f "$DIR/munged-started-here"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
