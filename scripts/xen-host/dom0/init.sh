#!/bin/sh
# init.sh - PID 1 of dom0 in the xen-host image.
#
# build-image bakes this file into the image as /usr/local/sbin/xh-init, and
# run-cases boots the dom0 kernel with init=/usr/local/sbin/xh-init.
# Changing this file changes the image stamp, so build-image rebuilds.
# Keep it tiny and stable; the test logic is in dom0/runner.sh, which
# run-cases ships on the input disk on every run.
#
# What it does:
#   1. mounts proc/sys/dev/run/tmp and remounts / read-write (QEMU attaches
#      the image with snapshot=on, so every write is thrown away),
#   2. finds the virtio disk with serial "xenin" (a plain tar archive written
#      by run-cases) and unpacks it to /in,
#   3. runs /in/runner.sh with XH_OUTDEV = the virtio disk with serial
#      "xenout" (the runner writes /out there as a tar stream after each
#      case, so results survive a later hang),
#   4. writes /out to XH_OUTDEV one last time, prints "XH-DONE rc=N" on the
#      console and powers the machine off.
# Without an input disk it starts a shell on the console (interactive use).
PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# The initramfs already moved /proc, /sys and /dev over; mount only if not.
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys  || mount -t sysfs sysfs /sys
mountpoint -q /dev  || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -o remount,rw /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/lock /var/run
echo "XH-INIT: dom0 up, uptime $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)"

disk_by_serial() {
  for d in /sys/block/vd*; do
    if [ -f "$d/serial" ] && [ "$(cat "$d/serial")" = "$1" ]; then
      echo "/dev/${d##*/}"
      return 0
    fi
  done
  return 1
}

IN=$(disk_by_serial xenin || true)
OUTDEV=$(disk_by_serial xenout || true)
if [ -n "$IN" ]; then
  mkdir -p /in /out
  tar -xf "$IN" -C /in 2>/dev/null || echo "XH-INIT: warning: tar -xf $IN failed"
  rc=0
  if [ -f /in/runner.sh ]; then
    XH_OUTDEV=$OUTDEV sh /in/runner.sh
    rc=$?
  else
    echo "XH-INIT: /in/runner.sh missing"
    rc=127
  fi
  echo "$rc" > /out/runner-rc
  if [ -n "$OUTDEV" ]; then
    tar -cf "$OUTDEV" -C /out . && sync
  fi
  echo "XH-DONE rc=$rc"
  sync
  # Power off: ACPI S5 through Xen. QEMU runs with -no-reboot, so the reboot
  # fallback also ends QEMU. run-cases also stops QEMU once it sees XH-DONE.
  echo o > /proc/sysrq-trigger
  sleep 5
  echo b > /proc/sysrq-trigger
  sleep 3600
else
  echo "XH-INIT: no input disk; starting a shell on the console"
  while true; do setsid sh -c 'exec sh </dev/hvc0 >/dev/hvc0 2>&1'; done
fi
