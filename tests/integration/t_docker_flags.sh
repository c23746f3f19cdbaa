#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The `docker run --help` walker: for each docker CLI that can be had, every
# flag its `run --help` lists is probed. A flag is either HONOURED (the
# probe's run succeeds and its real effect is checked: a cgroup file read
# from the host, a file, a capability bit, a namespace, an exit code ...)
# or REFUSED (the run fails and the error names the API field). A run that
# succeeds without the effect is "accepted and ignored": the test fails. A
# flag with no probe here fails too (a newer CLI's flag must get one).
# Flags that other work is turning from refused to honoured pass either way,
# as long as they are one or the other. Prints the table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/docker_clis.sh"
command -v python3 >/dev/null || skip "python3 missing (the pty driver)"
PTY="python3 $NETD_SRC/tests/integration/pty_run.py --timeout 20"
ctr_setup
nd_start
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/docker-config

# ---- effect helpers (the probe container is $W, running `sleep 120`) -----------------
X() { dk exec $W sh -c "$1"; }
wpid() { dk inspect -f '{{.State.Pid}}' $W; }
# cg CONTROLLER FILE: the container's cgroup file, read from the host (v1 or v2)
cg() {
  local p line path; p=$(wpid)
  line=$(grep -E "^[0-9]+:([^:]*,)?$1(,[^:]*)?:" /proc/$p/cgroup || true)
  if [ -n "$line" ]; then
    path=${line#*:*:}
    cat "/sys/fs/cgroup/$(echo "$line" | cut -d: -f2)$path/$2" 2>/dev/null ||
      cat "/sys/fs/cgroup/$1$path/$2"
  else
    path=$(grep '^0::' /proc/$p/cgroup | cut -d: -f3)
    cat "/sys/fs/cgroup$path/$3"      # the v2 file name
  fi
}
capbit() { local c; c=$(X "awk '/CapEff/{print \$2}' /proc/self/status"); echo $(( (16#$c >> $1) & 1 )); }
insp() { dk inspect -f "$1" $W; }
insp_is() { [ "$(insp "$1")" = "$2" ]; }

# ---- the probes: flag -> "FIELDS|ARGS|CHECK" ------------------------------------------
# FIELDS: the API field(s) a refusal must name ('/'-separated alternatives;
# "-" for a flag the client handles itself); ARGS: docker run options;
# ($W, $I: the walk's probe name and index.) CHECK: bash run after `docker run -d --name $W ARGS bb sleep 120`
# succeeded, which must succeed when the flag was honoured.
declare -A P
P[add-host]='ExtraHosts|--add-host h1.example:10.1.2.3|X "grep -q 10.1.2.3.*h1.example /etc/hosts"'
P[annotation]='Annotations|--annotation k1=v1|[[ "$(insp "{{json .HostConfig.Annotations}}")" == *k1* ]]'
P[blkio-weight]='BlkioWeight|--blkio-weight 300|[[ "$(cg blkio blkio.weight io.weight)" == *300* ]] || [[ "$(cg blkio blkio.bfq.weight io.bfq.weight)" == *300* ]]'
P[blkio-weight-device]='BlkioWeightDevice|--blkio-weight-device /dev/vda:300|[[ "$(cg blkio blkio.weight_device io.weight)" == *300* ]]'
P[cap-add]='CapAdd|--cap-add NET_ADMIN|[ "$(capbit 12)" = 1 ]'
P[cap-drop]='CapDrop|--cap-drop CHOWN|[ "$(capbit 0)" = 0 ]'
P[cgroup-parent]='CgroupParent|--cgroup-parent wparent|grep -q wparent /proc/$(wpid)/cgroup'
P[cgroupns]='CgroupnsMode|--cgroupns host|[ "$(readlink /proc/$(wpid)/ns/cgroup)" = "$(readlink /proc/self/ns/cgroup)" ]'
# the CLI writes the file; the daemon is sent HostConfig.ContainerIDFile too
P[cidfile]='ContainerIDFile|--cidfile $T/cid.$W|[ "$(tr -d "\n" <$T/cid.$W | wc -c)" = 64 ]'
P[cpu-count]='CpuCount|--cpu-count 1|false'
P[cpu-percent]='CpuPercent|--cpu-percent 50|false'
P[cpu-period]='CpuPeriod|--cpu-period 50000 --cpu-quota 25000|[[ "$(cg cpu cpu.cfs_period_us cpu.max)" == *50000* ]]'
P[cpu-quota]='CpuQuota|--cpu-quota 25000|[[ "$(cg cpu cpu.cfs_quota_us cpu.max)" == 25000* ]]'
P[cpu-rt-period]='CpuRealtimePeriod|--cpu-rt-period 100000|[ "$(cg cpu cpu.rt_period_us none)" = 100000 ]'
P[cpu-rt-runtime]='CpuRealtimeRuntime|--cpu-rt-runtime 1000|[ "$(cg cpu cpu.rt_runtime_us none)" = 1000 ]'
P[cpu-shares]='CpuShares|--cpu-shares 512|[ "$(cg cpu cpu.shares cpu.weight)" = 512 ] || [ "$(cg cpu cpu.shares cpu.weight)" = 20 ]'
P[cpus]='NanoCpus|--cpus 0.5|[[ "$(cg cpu cpu.cfs_quota_us cpu.max)" == 50000* ]]'
P[cpuset-cpus]='CpusetCpus|--cpuset-cpus 0|[ "$(X "grep Cpus_allowed_list /proc/self/status" | awk "{print \$2}")" = 0 ]'
P[cpuset-mems]='CpusetMems|--cpuset-mems 0|[ "$(X "grep Mems_allowed_list /proc/self/status" | awk "{print \$2}")" = 0 ]'
P[device]='Devices|--device /dev/null:/dev/wnull|X "echo x > /dev/wnull"'
P[device-cgroup-rule]='DeviceCgroupRules|--device-cgroup-rule "c 1:3 rwm"|[[ "$(cg devices devices.list none)" == *"c 1:3 rwm"* ]]'
P[device-read-bps]='BlkioDeviceReadBps|--device-read-bps /dev/vda:1mb|[[ "$(cg blkio blkio.throttle.read_bps_device io.max)" == *1048576* ]]'
P[device-read-iops]='BlkioDeviceReadIOps|--device-read-iops /dev/vda:100|[[ "$(cg blkio blkio.throttle.read_iops_device io.max)" == *100* ]]'
P[device-write-bps]='BlkioDeviceWriteBps|--device-write-bps /dev/vda:1mb|[[ "$(cg blkio blkio.throttle.write_bps_device io.max)" == *1048576* ]]'
P[device-write-iops]='BlkioDeviceWriteIOps|--device-write-iops /dev/vda:100|[[ "$(cg blkio blkio.throttle.write_iops_device io.max)" == *100* ]]'
P[dns]='Dns|--dns 10.9.9.9|X "grep -q nameserver.10.9.9.9 /etc/resolv.conf"'
P[dns-option]='DnsOptions|--dns-option ndots:3|X "grep -q ndots:3 /etc/resolv.conf"'
P[dns-search]='DnsSearch|--dns-search w.example|X "grep -q w.example /etc/resolv.conf"'
P[domainname]='Domainname|--domainname w.example|[ "$(X "cat /proc/sys/kernel/domainname")" = w.example ]'
P[entrypoint]='Entrypoint|--entrypoint /bin/busybox|[ "$(tr "\\0" " " </proc/$(wpid)/cmdline)" = "/bin/busybox sleep 120 " ]'
P[env]='Env|-e WV=42|[ "$(X "echo \$WV")" = 42 ]'
P[env-file]='Env|--env-file $T/envf|[ "$(X "echo \$WF")" = 43 ]'
P[expose]='ExposedPorts|--expose 7777|[[ "$(insp "{{json .Config.ExposedPorts}}")" == *7777/tcp* ]]'
P[gpus]='DeviceRequests|--gpus all|false'
P[group-add]='GroupAdd|--group-add 1234|X "id -G" | grep -qw 1234'
P[health-cmd]='Healthcheck|--health-cmd true --health-interval 1s|poll 20 insp_is {{.State.Health.Status}} healthy'
P[health-interval]='Healthcheck|--health-cmd true --health-interval 1s|poll 20 insp_is {{.State.Health.Status}} healthy'
P[health-retries]='Healthcheck|--health-cmd false --health-interval 1s --health-retries 1|poll 20 insp_is {{.State.Health.Status}} unhealthy'
P[health-start-interval]='Healthcheck|--health-cmd true --health-start-period 30s --health-start-interval 1s --health-interval 60s|poll 20 insp_is {{.State.Health.Status}} healthy'
P[health-start-period]='Healthcheck|--health-cmd false --health-interval 1s --health-retries 1 --health-start-period 60s|sleep 3; [ "$(insp "{{.State.Health.Status}}")" = starting ]'
P[health-timeout]='Healthcheck|--health-cmd "sleep 5" --health-interval 1s --health-timeout 1s --health-retries 1|poll 20 insp_is {{.State.Health.Status}} unhealthy'
P[hostname]='Hostname|--hostname wh1|[ "$(X hostname)" = wh1 ]'
P[init]='Init|--init|[ "$(X "cat /proc/1/comm")" != sleep ]'
P[io-maxbandwidth]='IOMaximumBandwidth|--io-maxbandwidth 1mb|false'
P[io-maxiops]='IOMaximumIOps|--io-maxiops 100|false'
P[ip]='IPAMConfig/IPv4Address|--network wn --ip 10.77.0.7$I|X "ip -o -4 addr show eth0" | grep -q 10.77.0.7$I/'
P[ip6]='IPv6Address|--network wn --ip6 fd77::7$I|X "ip -o -6 addr show eth0" | grep -q fd77::7$I/'
P[ipc]='IpcMode|--ipc host|[ "$(readlink /proc/$(wpid)/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ]'
P[isolation]='Isolation|--isolation hyperv|false'
# newer CLIs drop --kernel-memory themselves (deprecated; Docker ignores it
# from API 1.42): a run that succeeds and records none was never asked for it
# (netd refuses the field when it comes, as with the 20.10 client)
P[kernel-memory]='KernelMemory|--kernel-memory 50m|[ "$(cg memory memory.kmem.limit_in_bytes none)" = 52428800 ] || [ "$(insp "{{.HostConfig.KernelMemory}}")" = 0 ]'
P[label]='Labels|-l wl=1|[ "$(insp "{{index .Config.Labels \"wl\"}}")" = 1 ]'
P[label-file]='Labels|--label-file $T/labelf|[ "$(insp "{{index .Config.Labels \"wlf\"}}")" = 2 ]'
P[link]='Links|--link wpeer:wp|X "grep -q wp /etc/hosts"'
P[link-local-ip]='LinkLocalIPs|--network wn --link-local-ip 169.254.7.7$I|X "ip -o -4 addr show eth0" | grep -q 169.254.7.7$I/'
P[log-driver]='LogConfig|--log-driver none|! dk logs $W 2>/dev/null | grep -q .'
P[log-opt]='LogConfig|--log-opt max-size=1k --log-opt max-file=1|false'
P[mac-address]='MacAddress|--network wn --mac-address 02:42:0a:4d:00:9$I|X "ip link show eth0" | grep -q 02:42:0a:4d:00:9$I'
P[memory]='Memory|-m 64m|[ "$(cg memory memory.limit_in_bytes memory.max)" = 67108864 ]'
P[memory-reservation]='MemoryReservation|--memory-reservation 32m|[ "$(cg memory memory.soft_limit_in_bytes memory.low)" = 33554432 ]'
P[memory-swap]='MemorySwap|-m 64m --memory-swap 128m|[ "$(cg memory memory.memsw.limit_in_bytes memory.swap.max)" = 134217728 ] || [ "$(cg memory memory.memsw.limit_in_bytes memory.swap.max)" = 67108864 ]'
P[memory-swappiness]='MemorySwappiness|--memory-swappiness 10|[ "$(cg memory memory.swappiness none)" = 10 ]'
P[mount]='Mounts|--mount type=bind,src=$T/wb,dst=/wb|X "cat /wb/f" | grep -q bindok'
P[network]='NetworkMode|--network wn|X "ip -o -4 addr show eth0" | grep -q "10.77.0."'
P[network-alias]='Aliases|--network wn --network-alias wal$I|dk run --rm --network wn bb nslookup wal$I >/dev/null 2>&1 || dk run --rm --network wn bb ping -c2 -W3 wal$I >/dev/null'
P[no-healthcheck]='Healthcheck|--no-healthcheck|[ "$(insp "{{json .Config.Healthcheck}}")" = "{\"Test\":[\"NONE\"]}" ] && [ "$(insp "{{json .State.Health}}")" = null ]'
P[oom-kill-disable]='OomKillDisable|-m 64m --oom-kill-disable|[ "$(cg memory memory.oom_control none | awk "/oom_kill_disable/{print \$2}")" = 1 ]'
P[oom-score-adj]='OomScoreAdj|--oom-score-adj 321|[ "$(cat /proc/$(wpid)/oom_score_adj)" = 321 ]'
P[pid]='PidMode|--pid host|X "ls /proc" | grep -qx 1 && [ "$(readlink /proc/$(wpid)/ns/pid)" = "$(readlink /proc/self/ns/pid)" ]'
P[pids-limit]='PidsLimit|--pids-limit 33|[ "$(cg pids pids.max pids.max)" = 33 ]'
P[platform]='Platform/platform|--platform linux/amd64|[ "$(uname -m)" = x86_64 ] && [ "$(insp "{{.State.Running}}")" = true ]'
P[privileged]='Privileged|--privileged|[ "$(capbit 21)" = 1 ]'
P[publish]='PortBindings|-p 127.0.0.1:1808$I:80|[ "$(insp "{{json .NetworkSettings.Ports}}" | jq -r ".[\"80/tcp\"][0].HostPort")" = 1808$I ]'
P[publish-all]='PublishAllPorts|--expose 7778 -P|[ -n "$(insp "{{json .NetworkSettings.Ports}}" | jq -r ".[\"7778/tcp\"][0].HostPort // empty")" ]'
P[pull]='-|--pull never|[ "$(insp "{{.State.Running}}")" = true ]'
P[read-only]='ReadonlyRootfs|--read-only|! X "touch /rofile" 2>/dev/null'
P[restart]='RestartPolicy|--restart always|kill -KILL $(wpid); poll 20 insp_is {{.RestartCount}} 1'
P[runtime]='Runtime|--runtime runc|false'
P[security-opt]='SecurityOpt|--security-opt no-new-privileges|[ "$(X "grep NoNewPrivs /proc/self/status" | awk "{print \$2}")" = 1 ]'
P[shm-size]='ShmSize|--shm-size 7m|X "df -k /dev/shm" | grep -q 7168'
# (with --init: a PID 1 without a handler never sees SIGUSR1, with Docker as with netd)
P[stop-signal]='StopSignal|--stop-signal SIGUSR1 --init|[ "$(insp "{{.Config.StopSignal}}")" = SIGUSR1 ] && s=$(date +%s) && dk stop -t 30 $W >/dev/null && [ $(( $(date +%s) - s )) -lt 20 ] && [ "$(insp "{{.State.ExitCode}}")" = 138 ]'
P[stop-timeout]='StopTimeout|--stop-timeout 1|s=$(date +%s); dk stop $W >/dev/null; [ $(( $(date +%s) - s )) -lt 8 ]'
P[storage-opt]='StorageOpt|--storage-opt size=1G|false'
P[sysctl]='Sysctls|--sysctl net.ipv4.ip_unprivileged_port_start=77|[ "$(X "cat /proc/sys/net/ipv4/ip_unprivileged_port_start")" = 77 ]'
P[tmpfs]='Tmpfs|--tmpfs /wt:size=3m|X "grep -q \" /wt tmpfs\" /proc/mounts"'
P[ulimit]='Ulimits|--ulimit nofile=512:512|[ "$(X "ulimit -n")" = 512 ]'
P[user]='User|-u 1234:1234|[ "$(X "id -u")" = 1234 ]'
P[userns]='UsernsMode|--userns host|[ "$(readlink /proc/$(wpid)/ns/user)" = "$(readlink /proc/self/ns/user)" ]'
P[uts]='UTSMode|--uts host|[ "$(X hostname)" = "$(hostname)" ]'
P[volume]='Binds|-v $T/wb:/wb|X "cat /wb/f" | grep -q bindok'
P[volume-driver]='VolumeDriver|--volume-driver local|[ "$(insp "{{.HostConfig.VolumeDriver}}")" = local ]'   # local: the one driver
P[volumes-from]='VolumesFrom|--volumes-from wpeer|X "cat /wpv/f" | grep -q peerdata'
P[workdir]='WorkingDir|-w /tmp|[ "$(X pwd)" = /tmp ]'
P[use-api-socket]='-/Mounts|--use-api-socket|X "test -S /var/run/docker.sock || test -S /run/docker.sock"'
# client-side flags: checked by what the client does with them
declare -A CLIENT
CLIENT[attach]='[ "$(dk run --rm -a stdout bb sh -c "echo o; echo e >&2" 2>&1)" = o ]'
CLIENT[detach]='dk run -d --name ${W}d bb sleep 60 >/dev/null && [ "$(dk inspect -f {{.State.Running}} ${W}d)" = true ]; r=$?; dk rm -f ${W}d >/dev/null; exit $r'
CLIENT[detach-keys]='$PTY --expect "# " --send "\x18" -- "$D" run -it --name ${W}d --detach-keys ctrl-x bb sh >/dev/null && [ "$(dk inspect -f {{.State.Running}} ${W}d)" = true ]; r=$?; dk rm -f ${W}d >/dev/null; exit $r'
CLIENT[disable-content-trust]='[ "$(dk run --rm --disable-content-trust bb echo dct)" = dct ]'
CLIENT[help]='dk run --help | grep -q -- --volume'
CLIENT[interactive]='[ "$(echo piped | dk run --rm -i bb cat)" = piped ]'
CLIENT[name]='dk run --rm --name ${W}name bb true && ! dk inspect ${W}name >/dev/null 2>&1 && dk create --name ${W}name bb true >/dev/null && dk rm ${W}name >/dev/null'
CLIENT[quiet]='[ "$(dk run --rm -q bb echo q)" = q ]'
CLIENT[rm]='dk run --rm --name ${W}rm bb true && ! dk inspect ${W}rm >/dev/null 2>&1'
CLIENT[sig-proxy]='dk run --rm --sig-proxy=false bb true'
CLIENT[tty]='[ "$(dk run --rm -t bb sh -c "test -t 1 && echo tty")" = $'"'"'tty\r'"'"' ]'

# fixtures (made with the last CLI)
D=${clis[-1]}
mkdir -p "$T/wb" && echo bindok >"$T/wb/f"
echo WF=43 >"$T/envf"; echo wlf=2 >"$T/labelf"
dk network create --subnet 10.77.0.0/24 --ipv6 --subnet fd77::/64 wn >/dev/null 2>&1 ||
  dk network create --subnet 10.77.0.0/24 wn >/dev/null
# wpeer: a volume for --volumes-from (where netd has volumes), a name for --link
dk run -d --name wpeer -v wpv:/wpv bb sh -c 'echo peerdata >/wpv/f; exec sleep 600' >/dev/null 2>&1 ||
  dk run -d --name wpeer bb sleep 600 >/dev/null

# walk D W: every flag of docker $D's `run --help`, probe containers named $W*;
# the table on stderr, one line per failure on stdout
walk() {
  D=$1 W=$2 I=${2#wf}   # I: the walk's index, so side-by-side walks never ask for one address or port
  local ver flags nflags f res det out rc named a fields args check nh=0 nr=0 nc=0
  ver=$(cli_version "$D")
  flags=$("$D" run --help | sed -nE 's/^ +(-[a-zA-Z], )?--([a-z0-9-]+)[ =].*/\2/p; s/^ +(-[a-zA-Z], )?--([a-z0-9-]+)$/\2/p' | sort -u)
  nflags=$(wc -w <<<"$flags")
  [ "$nflags" -ge 60 ] || echo "docker $ver: only $nflags flags parsed from run --help"
  printf '\n# docker %s: %d flags of `docker run --help`\n' "$ver" "$nflags" >&2
  printf '# %-24s %-10s %s\n' FLAG RESULT DETAIL >&2
  for f in $flags; do
    if [ -n "${CLIENT[$f]:-}" ]; then
      if (eval "${CLIENT[$f]}") >/dev/null 2>&1; then res=client; det="done by the CLI, checked"; nc=$((nc+1))
      else res=FAILED; det="client-side flag did not work"; fi
    elif [ -n "${P[$f]:-}" ]; then
      IFS='|' read -r fields args check <<<"${P[$f]}"
      dk rm -f $W >/dev/null 2>&1 || true
      set +e
      out=$(eval "dk run -d --name $W $args bb sleep 120" 2>&1); rc=$?
      set -e
      if [ $rc -ne 0 ]; then
        named=
        IFS=/ read -ra alts <<<"$fields"
        for a in "${alts[@]}"; do [[ "$out" == *"$a"* ]] && named=1; done
        if [ -n "$named" ]; then res=refused; det=$(tr '\n' ' ' <<<"$out" | sed 's/^docker: Error response from daemon: //' | cut -c1-80); nr=$((nr+1))
        else res=FAILED; det="refused without naming $fields: $(tr '\n' ' ' <<<"$out" | cut -c1-160)"; fi
      elif (eval "$check") >/dev/null 2>&1; then
        res=honoured; det="effect checked"; nh=$((nh+1))
      else
        res=FAILED; det="accepted but its effect is missing (silently ignored)"
      fi
      dk rm -f $W >/dev/null 2>&1 || true
    else
      res=FAILED; det="no probe for this flag: add one to t_docker_flags.sh"
    fi
    printf '# %-24s %-10s %s\n' "$f" "$res" "$det" >&2
    [ "$res" != FAILED ] || echo "docker $ver --$f: $det"
  done
  printf '# docker %s: %d honoured, %d refused naming the field, %d client-side\n' "$ver" $nh $nr $nc >&2
  [ -z "$(dk ps -aq --filter name=^$W)" ] || echo "docker $ver: a probe container was left behind"
}

# the CLIs walk side by side (each its own probe names)
pids=()
for i in "${!clis[@]}"; do
  walk "${clis[$i]}" wf$i >"$T/fails.$i" 2>"$T/table.$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait $p || true; done
for i in "${!clis[@]}"; do cat "$T/table.$i" >&2; done
dk rm -f -v wpeer >/dev/null
dk volume rm wpv >/dev/null 2>&1 || true
fails=$(cat "$T"/fails.*)
[ -z "$fails" ] || { sed 's/^/FAIL: /' <<<"$fails" >&2; exit 1; }
log "ok"
