#!/usr/bin/env bash
# Start a single-node Slurm on this machine (Debian's slurm-wlm and munge; run as
# root): munged, slurmctld and slurmd on localhost, one partition with every CPU.
# Used by .ci/run so that test/slurm.test.ts can submit the shipped job-array script
# for real. Idempotent: if a Slurm already answers, nothing is changed. Exits
# non-zero, saying why, when Slurm cannot start here (e.g. a container without the
# privileges slurmd needs); the test then reports itself skipped with that reason.
set -euo pipefail
if sinfo -h >/dev/null 2>&1; then
  echo "slurm: already running ($(sinfo -h -o '%P %D %T' | head -1))"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
host="$(hostname -s)"
node_line="$(slurmd -C | sed -n 1p)"   # NodeName=<host> CPUs=… RealMemory=… (sed, not head: no SIGPIPE under pipefail)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
cat >/etc/slurm/slurm.conf <<CONF
# Written by lipbench's .ci/slurm-up.sh: a single-node test cluster.
ClusterName=lipbench-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
${node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x munged >/dev/null || runuser -u munge -- munged 2>/dev/null || munged --force
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 30); do
  if [ "$(sinfo -h -o '%T' 2>/dev/null | head -1)" = "idle" ]; then
    echo "slurm: up ($(sinfo -h -o '%P %D %C %T' | head -1))"
    exit 0
  fi
  sleep 1
done
echo "slurm: did not come up; sinfo says: $(sinfo -h 2>&1 | head -2 | tr '\n' ' ')" >&2
tail -n 5 /var/log/slurm/slurmd.log /var/log/slurm/slurmctld.log >&2 || true
exit 1
