# `xl create -n` (a dry run: xl parses the config and prints, as JSON, the domain configuration
# libxl would get) accepts every config xen-config generates: each app's as ./scripts/build
# deploys it (app-APP/), every case's guest.cfg (case-NAME/), and one whose command line needs
# quoting (escapes/) — and xl reads back what xen-config meant. scripts/test-xen stages them.
fail=0 n=0
for cfg in app-*/*.xl case-*/guest.cfg escapes/*.xl; do
  dir=${cfg%/*} file=${cfg##*/}
  out="$XH_OUT/dry-run-$dir.json"
  if ! (cd "$dir" && xl create -n "$file") > "$out" 2>&1; then
    xh_log "xl create -n $cfg FAILED:"; cat "$out"; fail=1; continue
  fi
  n=$((n + 1))
  grep -Eq '"type": *"pvh"' "$out" || { xh_log "$cfg: xl did not read type = pvh:"; cat "$out"; fail=1; }
  xh_log "xl create -n $cfg: accepted"
done
# A deployed app config, read back: name, memory, vif MAC and command line.
grep -Eq '"name": *"dns"' "$XH_OUT/dry-run-app-dns.json" || { xh_log "dns: name not read back"; fail=1; }
grep -Eq '"max_memkb": *8192' "$XH_OUT/dry-run-app-dns.json" || { xh_log "dns: memory = 8 not read back"; fail=1; }
grep -Eq '"mac": *"00:16:3e:96:4c:bc"' "$XH_OUT/dry-run-app-dns.json" || { xh_log "dns: vif mac not read back"; fail=1; }
grep -Eq '"cmdline": *"ip=192.0.2.53/24 gw=192.0.2.1"' "$XH_OUT/dry-run-app-dns.json" || { xh_log "dns: extra not read back"; fail=1; }
# The quoted command line comes back unchanged (JSON escapes its quotes and backslash again).
grep -Fq '"cmdline": "motd=\"two words\" path=a\\b"' "$XH_OUT/dry-run-escapes.json" \
  || { xh_log "escapes: the command line did not survive quoting:"; grep -F cmdline "$XH_OUT/dry-run-escapes.json"; fail=1; }
xh_log "$n configs accepted by xl create -n"
[ "$n" -ge 9 ] || { xh_log "expected at least 9 configs (3 apps, 5 cases, escapes)"; fail=1; }
exit $fail
