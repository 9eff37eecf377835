#!/usr/bin/env bash
# Boot other kernels under QEMU (software emulation) and run proclife's kernel tests inside
# them, against the binaries built on the host. See --help; the guest side lives in
# scripts/vmtest/ (init = initramfs /init, guest-run.sh = runs the tests in the chroot).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROJECT_ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)
readonly SCRIPT_DIR PROJECT_ROOT
readonly GUEST_DIR="$SCRIPT_DIR/vmtest"

readonly DEFAULT_KERNELS=(linux-image-cloud-amd64 linux-image-6.12-cloud-amd64)
readonly HOST_PACKAGES=(qemu-system-x86 busybox-static kmod)
readonly VIRTIOFSD=/usr/lib/qemu/virtiofsd
readonly QEMU=qemu-system-x86_64
readonly BUSYBOX=/bin/busybox
# Drivers the guest needs before it can reach the host root; built in on some kernels.
readonly GUEST_MODULES=(virtio_pci virtiofs overlay)
readonly GUEST_MEMORY_MB=2048
# A guest that reported its status but is still up this long after is stuck powering off.
readonly POWEROFF_GRACE_SECS=20

# Settings (options may change them).
BUILD_DIR="$PROJECT_ROOT/build"
TIMEOUT_SECS=600
RESULTS_DIR=""
CACHE_DIR="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/proclife-vmtest"
KERNEL_SPECS=()

# Run state.
WORK_DIR=""
CHILD_PIDS=()

usage() {
	cat <<EOF
Usage: scripts/vmtest.sh [OPTIONS] [KERNEL...]

Boots each KERNEL under QEMU (-accel tcg), shares the host root read-only into the guest
(virtiofs, with a throw-away writable overlay) and runs, from the project root inside it:
    ctest --test-dir BUILD_DIR -L vm --output-on-failure
once with PROCLIFE_REAP_SOURCE=fexit and once with PROCLIFE_REAP_SOURCE=sys_exit (the
probe's wait-result sources; see userspace/probe/probe.hpp), then once with
PROCLIFE_LOADER=libbpf (libbpf's skeleton, which kernels before 5.17 load instead of the
light one; see userspace/probe/loader.hpp).
Kernels run one after another. Needs root (virtiofsd, apt-get).

KERNEL is one of:
  PACKAGE              a Debian kernel package or meta-package, resolved with apt-cache
                       depends, fetched with apt-get download and unpacked (never installed)
                       into the cache dir. Default: ${DEFAULT_KERNELS[*]}
  PATH[:MODULES_DIR]   an x86 bzImage (vmlinuz) file. MODULES_DIR is its /lib/modules/KVER
                       dir (or an INSTALL_MOD_PATH holding lib/modules/KVER); without it,
                       DIR_OF_PATH/../lib/modules/KVER is used if present. virtio-pci,
                       virtiofs (and ideally overlay) must be built in or in MODULES_DIR.
                       The config for /boot/config-KVER comes from config-KVER beside PATH,
                       the kernel build tree's .config, or /proc/config.gz in the guest.

Options:
  --build-dir DIR      CMake build dir to test (default: build under the project root)
  --timeout SECS       per kernel, boot to power-off (default: $TIMEOUT_SECS)
  --results-dir DIR    where console logs and outputs go (default: BUILD_DIR/vmtest-results)
  --cache-dir DIR      kernel cache (default: \${XDG_CACHE_HOME:-\$HOME/.cache}/proclife-vmtest)
  -h, --help           this text

Environment:
  PROCLIFE_VMTEST_CMD     shell command run (by bash, as root, from the project root) in the
                          guest instead of the ctest command, e.g.
                          PROCLIFE_VMTEST_CMD='uname -r; bpftool prog list >/dev/null && echo ok'
  PROCLIFE_VMTEST_APPEND  extra guest kernel command line arguments

Inside the guest: the host root at /, writable through a tmpfs overlay (writes vanish at
power-off); fresh tmpfs on /tmp /var/tmp /run /root /boot (the project and build dirs are
bound back if they live there); proc, sysfs, devtmpfs, devpts, /dev/shm, tracefs at
/sys/kernel/tracing, debugfs at /sys/kernel/debug, bpffs at /sys/fs/bpf, cgroup2 at
/sys/fs/cgroup; /boot/config-\$(uname -r); the guest kernel's modules at
/lib/modules/\$(uname -r) when known; lo up; no other network. Environment: PATH, HOME=/root,
TERM=dumb, LANG=C.UTF-8, PROCLIFE_VMTEST=1, plus CI and PROCLIFE_* from the host.

Per kernel it prints the guest's uname -r, the command's output, and one line
  vmtest: KVER: PASS | FAIL (tests failed, exit N) | TIMEOUT (...) | NO RESULT (...)
then an overall line. RESULTS_DIR/KVER/ keeps console.log, qemu.log, virtiofsd logs and
guest/output.log.

Exit status: 0 all kernels passed, 1 some kernel did not pass, 2 bad input or setup error,
130 interrupted.
EOF
}

say() { echo "vmtest: $*"; }
warn() { echo "vmtest: warning: $*" >&2; }
die() {
	echo "vmtest: error: $*" >&2
	exit 2
}

now_ms() { echo $((${EPOCHREALTIME//[.,]/} / 1000)); }
format_secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); } # MS -> "S.d"

absolute_path() { # PATH -> absolute, symlinks resolved as far as the path exists
	realpath -m -- "$1"
}

# ---------------------------------------------------------------------------------------------
# Command line

parse_args() {
	while (($#)); do
		case "$1" in
		--build-dir | --timeout | --results-dir | --cache-dir)
			(($# >= 2)) || die "option $1 needs a value"
			case "$1" in
			--build-dir) BUILD_DIR=$2 ;;
			--timeout) TIMEOUT_SECS=$2 ;;
			--results-dir) RESULTS_DIR=$2 ;;
			--cache-dir) CACHE_DIR=$2 ;;
			esac
			shift 2
			;;
		--build-dir=* | --timeout=* | --results-dir=* | --cache-dir=*)
			set -- "${1%%=*}" "${1#*=}" "${@:2}"
			;;
		-h | --help)
			usage
			exit 0
			;;
		--)
			shift
			KERNEL_SPECS+=("$@")
			break
			;;
		-*) die "unknown option: $1 (see --help)" ;;
		*)
			KERNEL_SPECS+=("$1")
			shift
			;;
		esac
	done
	[[ $TIMEOUT_SECS =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds, not '$TIMEOUT_SECS'"
	((${#KERNEL_SPECS[@]})) || KERNEL_SPECS=("${DEFAULT_KERNELS[@]}")
	BUILD_DIR=$(absolute_path "$BUILD_DIR")
	CACHE_DIR=$(absolute_path "$CACHE_DIR")
	RESULTS_DIR=$(absolute_path "${RESULTS_DIR:-$BUILD_DIR/vmtest-results}")
}

# The command run in the guest: the vm-labelled ctest tests unless overridden for development.
test_command() {
	if [[ -n ${PROCLIFE_VMTEST_CMD:-} ]]; then
		printf '%s\n' "$PROCLIFE_VMTEST_CMD"
	else
		# Once per reap source the guest kernels allow (fexit loads on Debian's 6.1 and 6.12;
		# sys_exit is the fallback elsewhere), forced with the probe's diagnostic knob, with the
		# loader the kernel takes (a [vm] test checks which: the light skeleton from 5.17 on);
		# then once through libbpf's skeleton, the loader of older kernels, forced.
		printf 'for source in fexit sys_exit; do echo "vmtest: reap source $source"; PROCLIFE_REAP_SOURCE=$source ctest --test-dir %q -L vm --output-on-failure --no-tests=error || exit; done; echo "vmtest: libbpf loader"; PROCLIFE_LOADER=libbpf ctest --test-dir %q -L vm --output-on-failure --no-tests=error\n' "$BUILD_DIR" "$BUILD_DIR"
	fi
}

check_build_dir() {
	[[ -n ${PROCLIFE_VMTEST_CMD:-} ]] && return 0
	[[ -f $BUILD_DIR/CTestTestfile.cmake ]] ||
		die "no CTest build in $BUILD_DIR (configure and build first, or pass --build-dir)"
}

# ---------------------------------------------------------------------------------------------
# Host packages

apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"
}

# The package lists may be missing or stale on a fresh machine; refresh them at most once.
# A stamp file, not a variable: lookups run in command substitutions (subshells).
apt_update_once() {
	[[ ! -e $WORK_DIR/apt-updated ]] || return 1
	touch "$WORK_DIR/apt-updated"
	say "refreshing the apt package lists"
	apt_get update -qq >"$WORK_DIR/apt-update.log" 2>&1 || {
		cat "$WORK_DIR/apt-update.log" >&2
		die "apt-get update failed"
	}
}

is_package_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

ensure_host_packages() {
	local pkg missing=()
	for pkg in "${HOST_PACKAGES[@]}"; do
		is_package_installed "$pkg" || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	say "installing host packages: ${missing[*]}"
	local log="$WORK_DIR/apt-install.log"
	until apt_get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; do
		apt_update_once && continue
		tail -n 20 "$log" >&2
		die "cannot install ${missing[*]}"
	done
	[[ -x $VIRTIOFSD ]] || die "$VIRTIOFSD missing after installing qemu-system-x86"
}

# ---------------------------------------------------------------------------------------------
# Kernels. Each prepared kernel is described by these arrays, indexed alike.

K_SPEC=()    # as given on the command line
K_IMAGE=()   # bzImage path
K_RELEASE=() # release string from the bzImage header (the guest's uname -r)
K_MODDIR=()  # its /lib/modules/KVER dir, or empty (everything built in)
K_CONFIG=()  # its config file, or empty
K_ORIGIN=()  # for messages: package and version, or "file"

# The release string of an x86 bzImage, read from its setup header ("HdrS" magic at 0x202, a
# pointer to the version string at 0x20e, relative to 0x200). Fails for anything else.
bzimage_release() {
	local image=$1 magic offset
	magic=$(dd if="$image" bs=1 skip=514 count=4 status=none 2>/dev/null) || return 1
	[[ $magic == HdrS ]] || return 1
	offset=$(od -An -j 526 -N 2 -t u2 "$image" | tr -d ' ')
	[[ $offset =~ ^[0-9]+$ ]] || return 1
	dd if="$image" bs=1 skip=$((offset + 512)) count=256 status=none | tr '\0' '\n' | awk 'NR == 1 { print $1 }'
}

apt_cache() { # apt-cache ARGS..., refreshing the lists once if the lookup fails
	local out
	if out=$(apt-cache "$@" 2>/dev/null); then
		printf '%s\n' "$out"
		return 0
	fi
	apt_update_once || return 1
	apt-cache "$@" 2>/dev/null
}

# Follows meta-packages (linux-image-cloud-amd64 -> linux-image-6.1.0-NN-cloud-amd64) to the
# package that ships the kernel; the ABI number in its name changes over time.
resolve_kernel_package() {
	local name=$1 next _
	[[ $name =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "not a package name nor an existing file: $name"
	for _ in 1 2 3 4; do # meta -> meta -> real is the longest chain seen
		apt_cache show --no-all-versions "$name" >/dev/null ||
			die "kernel package not resolvable: $name (not known to apt)"
		next=$(apt_cache depends "$name" | awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 ~ /^linux-image-/ { print $2; exit }')
		[[ -n $next ]] || break
		name=$next
	done
	printf '%s\n' "$name"
}

package_version() {
	apt_cache show --no-all-versions "$1" | sed -n 's/^Version: //p' | head -n 1
}

# Downloads and unpacks a kernel package into the cache, once per package version, and makes
# its module tree usable by modprobe/depmod (the .deb ships no modules.dep). Sets FETCHED_TREE.
FETCHED_TREE=""
FETCH_TMP="" # removed on exit if a download or unpack is interrupted
fetch_kernel_package() { # PACKAGE VERSION
	local pkg=$1 version=$2 tree="$CACHE_DIR/kernels/${1}_${2}"
	FETCHED_TREE=$tree
	[[ ! -f $tree/.ready ]] || return 0
	mkdir -p "$CACHE_DIR/kernels"
	FETCH_TMP=$(mktemp -d "$CACHE_DIR/kernels/.fetch.XXXXXX")
	say "downloading $pkg $version"
	(cd "$FETCH_TMP" && apt-get -qq -o APT::Sandbox::User=root download "$pkg=$version") >"$WORK_DIR/apt-download.log" 2>&1 || {
		cat "$WORK_DIR/apt-download.log" >&2
		die "cannot download $pkg $version"
	}
	dpkg -x "$FETCH_TMP"/*.deb "$FETCH_TMP/tree" || die "cannot unpack $pkg $version"
	# Newer packages ship /usr/lib/modules only; depmod -b looks under lib/modules.
	[[ -e $FETCH_TMP/tree/lib || ! -d $FETCH_TMP/tree/usr/lib/modules ]] || ln -s usr/lib "$FETCH_TMP/tree/lib"
	local kver
	for kver in "$FETCH_TMP"/tree/lib/modules/*/; do
		kver=$(basename "$kver")
		depmod -b "$FETCH_TMP/tree" "$kver" || warn "depmod failed for $kver"
	done
	touch "$FETCH_TMP/tree/.ready"
	rm -rf "$tree"
	mv "$FETCH_TMP/tree" "$tree"
	rm -rf "$FETCH_TMP"
	FETCH_TMP=""
}

add_kernel() { # SPEC IMAGE RELEASE MODDIR CONFIG ORIGIN
	K_SPEC+=("$1")
	K_IMAGE+=("$2")
	K_RELEASE+=("$3")
	K_MODDIR+=("$4")
	K_CONFIG+=("$5")
	K_ORIGIN+=("$6")
}

prepare_package_kernel() {
	local spec=$1 pkg version tree image release
	pkg=$(resolve_kernel_package "$spec")
	version=$(package_version "$pkg")
	[[ -n $version ]] || die "kernel package not resolvable: $spec (no version of $pkg)"
	fetch_kernel_package "$pkg" "$version"
	tree=$FETCHED_TREE
	image=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
	[[ -n $image ]] || die "$pkg $version ships no /boot/vmlinuz-*: not a kernel image package"
	release=$(bzimage_release "$image") || die "$image is not an x86 bzImage"
	local moddir="$tree/lib/modules/$release" config="$tree/boot/config-$release"
	[[ -d $moddir ]] || moddir=""
	[[ -f $config ]] || config=""
	add_kernel "$spec" "$image" "$release" "$moddir" "$config" "$pkg $version"
}

# MODULES_DIR may be lib/modules/KVER itself or a base holding it (INSTALL_MOD_PATH).
find_modules_dir() { # IMAGE RELEASE GIVEN_DIR -> dir or empty
	local image=$1 release=$2 given=$3
	if [[ -n $given ]]; then
		[[ -d $given ]] || die "modules dir not found: $given"
		if [[ -d $given/lib/modules/$release ]]; then
			absolute_path "$given/lib/modules/$release"
		else
			absolute_path "$given"
		fi
		return 0
	fi
	local beside
	beside="$(dirname "$image")/../lib/modules/$release"
	[[ -d $beside ]] && absolute_path "$beside"
	return 0
}

find_kernel_config() { # IMAGE RELEASE MODDIR -> file or empty
	local image=$1 release=$2 moddir=$3 candidate
	for candidate in "$(dirname "$image")/config-$release" \
		"$(dirname "$image")/../../../.config" \
		${moddir:+"$moddir/build/.config"}; do
		if [[ -f $candidate ]] && grep -q '^CONFIG_' "$candidate"; then
			absolute_path "$candidate"
			return 0
		fi
	done
	return 0
}

prepare_file_kernel() {
	local spec=$1 image=$1 given_moddir="" release moddir config
	# PATH:MODULES_DIR, unless the whole argument is a file (a path may contain a colon).
	if [[ ! -e $spec && $spec == *:* ]]; then
		image=${spec%%:*}
		given_moddir=${spec#*:}
	fi
	[[ -e $image ]] || die "kernel image not found: $image"
	[[ -f $image && -r $image ]] || die "kernel image is not a readable file: $image"
	image=$(absolute_path "$image")
	release=$(bzimage_release "$image") || die "not an x86 bzImage kernel: $image"
	moddir=$(find_modules_dir "$image" "$release" "$given_moddir")
	config=$(find_kernel_config "$image" "$release" "$moddir")
	[[ -n $config ]] || warn "no config found for $release: the guest has /boot/config-$release only if the kernel has /proc/config.gz"
	add_kernel "$spec" "$image" "$release" "$moddir" "$config" "file $image"
}

prepare_kernels() {
	local spec
	for spec in "${KERNEL_SPECS[@]}"; do
		if [[ $spec == */* || -e $spec || $spec == *:* ]]; then
			prepare_file_kernel "$spec"
		else
			prepare_package_kernel "$spec"
		fi
	done
}

# ---------------------------------------------------------------------------------------------
# Initramfs: static busybox, /init, the kernel config and the drivers that are modules here.

copy_module() { # KO_PATH DEST_DIR -> file name in DEST_DIR (decompressed: busybox insmod cannot)
	local ko=$1 dest=$2 name
	name=$(basename "$ko")
	name=${name%.xz}
	name=${name%.zst}
	name=${name%.gz}
	case "$ko" in
	*.ko.xz) if command -v xz >/dev/null; then xz -dc "$ko"; else "$BUSYBOX" xzcat "$ko"; fi >"$dest/$name" ;;
	*.ko.zst) command -v zstd >/dev/null || die "zstd is needed to unpack $ko"; zstd -qdc "$ko" >"$dest/$name" ;;
	*.ko.gz) gzip -dc "$ko" >"$dest/$name" ;;
	*) cp -L "$ko" "$dest/$name" ;;
	esac
	printf '%s\n' "$name"
}

# modprobe needs modules.dep; a user's modules dir may lack it and should not be written to,
# so depmod runs on a symlink copy then.
modprobe_base_for() { # MODDIR RELEASE -> base dir for modprobe -d
	local moddir=$1 release=$2
	if [[ -f $moddir/modules.dep && $(basename "$moddir") == "$release" && $(basename "$(dirname "$moddir")") == modules ]]; then
		dirname "$(dirname "$(dirname "$moddir")")"
		return 0
	fi
	local base="$WORK_DIR/depmod-$release"
	if [[ ! -d $base ]]; then
		mkdir -p "$base/lib/modules"
		cp -rs "$moddir" "$base/lib/modules/$release"
		depmod -b "$base" "$release" 2>"$WORK_DIR/depmod.log" || {
			cat "$WORK_DIR/depmod.log" >&2
			warn "depmod failed for $moddir"
		}
	fi
	printf '%s\n' "$base"
}

stage_modules() { # MODDIR RELEASE STAGING
	local moddir=$1 release=$2 staging=$3 base mod deps line ko name
	[[ -n $moddir ]] || return 0
	mkdir -p "$staging/modules"
	: >"$staging/modules/load.list"
	base=$(modprobe_base_for "$moddir" "$release")
	for mod in "${GUEST_MODULES[@]}"; do
		if ! deps=$(modprobe -d "$base" -S "$release" --show-depends "$mod" 2>/dev/null); then
			warn "$release has no module $mod (fine if built in)"
			continue
		fi
		while read -r line; do
			[[ $line == insmod\ * ]] || continue
			ko=$(awk '{ print $2 }' <<<"$line")
			name=$(basename "$ko")
			name=${name%%.ko*}.ko
			grep -qxF "$name" "$staging/modules/load.list" && continue
			copy_module "$ko" "$staging/modules" >>"$staging/modules/load.list"
		done <<<"$deps"
	done
}

build_initramfs() { # INDEX OUTPUT
	local i=$1 out=$2 staging="$WORK_DIR/initramfs-$1"
	rm -rf "$staging"
	mkdir -p "$staging/bin" "$staging/dev" "$staging/proc" "$staging/sys"
	cp "$BUSYBOX" "$staging/bin/busybox"
	ln -s busybox "$staging/bin/sh"
	install -m 755 "$GUEST_DIR/init" "$staging/init"
	[[ -z ${K_CONFIG[i]} ]] || cp "${K_CONFIG[i]}" "$staging/kconfig"
	stage_modules "${K_MODDIR[i]}" "${K_RELEASE[i]}" "$staging"
	# Uncompressed: every kernel can read it, and it is small (busybox + a few modules).
	(cd "$staging" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) >"$out"
}

# ---------------------------------------------------------------------------------------------
# Running one kernel

# Tracks a background process so that it is ended on exit or ^C.
track_child() { CHILD_PIDS+=("$1"); }

stop_children() {
	local pid
	((${#CHILD_PIDS[@]})) || return 0
	for pid in "${CHILD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pid in "${CHILD_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.2
	done
	for pid in "${CHILD_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CHILD_PIDS=()
}

cleanup() {
	stop_children
	[[ -z $FETCH_TMP ]] || rm -rf "$FETCH_TMP"
	[[ -z $WORK_DIR ]] || rm -rf "$WORK_DIR"
}

start_virtiofsd() { # SOCKET SOURCE_DIR LOG [CACHE_MODE]
	local sock=$1 source=$2 log=$3 cache=${4:-auto}
	# sandbox=chroot: the default namespace sandbox fails here (pivot_root: busy). virtiofsd
	# has no read-only mode; the guest mounts the root share read-only.
	"$VIRTIOFSD" --socket-path="$sock" -o source="$source" -o sandbox=chroot -o cache="$cache" \
		-o log_level=warn >"$log" 2>&1 &
	track_child $!
	for _ in $(seq 50); do
		[[ -S $sock ]] && return 0
		sleep 0.1
	done
	cat "$log" >&2
	die "virtiofsd did not start for $source"
}

# Writes what the guest needs to know into the share it can write to.
prepare_guest_share() { # INDEX SHARE_DIR
	local i=$1 share=$2
	mkdir -p "$share"
	install -m 755 "$GUEST_DIR/guest-run.sh" "$share/guest-run.sh"
	test_command >"$share/cmd"
	printf '%s\n' "$PROJECT_ROOT" >"$share/project-root"
	# Paths that must stay visible although the guest puts a tmpfs over /tmp, /root etc.
	printf '%s\n' "$PROJECT_ROOT" "$BUILD_DIR" | sort -u >"$share/keep-paths"
	printf '%s\n' "${K_MODDIR[i]}" >"$share/modules-dir"
	# The guest starts from a clean environment; pass on what tests may be steered by.
	local var
	for var in CI ${!PROCLIFE_@}; do
		[[ -v $var && $var != PROCLIFE_VMTEST_CMD && $var != PROCLIFE_VMTEST_APPEND ]] || continue
		printf 'export %s=%q\n' "$var" "${!var}"
	done >"$share/env"
}

# Copies what the guest appended to its output file since last time to stdout.
OUTPUT_OFFSET=0
stream_guest_output() { # FILE
	local file=$1 size
	[[ -f $file ]] || return 0
	size=$(stat -c %s "$file")
	((size > OUTPUT_OFFSET)) || return 0
	dd if="$file" iflag=skip_bytes,count_bytes skip="$OUTPUT_OFFSET" count=$((size - OUTPUT_OFFSET)) bs=64K status=none
	OUTPUT_OFFSET=$size
}

unique_results_subdir() { # RELEASE -> dir name not used yet in this run
	local name=$1 n=2
	while [[ -e $WORK_DIR/used-$name ]]; do
		name="$1.$n"
		n=$((n + 1))
	done
	touch "$WORK_DIR/used-$name"
	printf '%s\n' "$name"
}

# Boots kernel INDEX, streams the test output, and sets RESULT_LINE / RESULT_OK.
RESULT_LINE=""
RESULT_OK=0
run_kernel() {
	local i=$1
	local release=${K_RELEASE[i]}
	local kdir share console nonce
	kdir="$RESULTS_DIR/$(unique_results_subdir "$release")"
	share="$kdir/guest"
	console="$kdir/console.log"
	rm -rf "$kdir"
	mkdir -p "$kdir"
	prepare_guest_share "$i" "$share"
	nonce=$(od -An -N 8 -t x8 /dev/urandom | tr -d ' ')

	say "=== $release (${K_ORIGIN[i]}), timeout ${TIMEOUT_SECS} s ==="
	local initrd="$WORK_DIR/initramfs-$i.cpio"
	build_initramfs "$i" "$initrd"

	start_virtiofsd "$WORK_DIR/root-$i.sock" / "$kdir/virtiofsd-root.log" always
	start_virtiofsd "$WORK_DIR/xfer-$i.sock" "$share" "$kdir/virtiofsd-xfer.log" none

	local start_ms result_ms="" qemu_pid qemu_rc=0
	start_ms=$(now_ms)
	# panic=-1 + -no-reboot: a guest panic ends qemu at once (with exit 0: only the status
	# file or the console marker count as a result).
	timeout -k 10 "$TIMEOUT_SECS" "$QEMU" \
		-nodefaults -no-user-config -display none -no-reboot \
		-accel tcg -cpu max -smp 2 -m "${GUEST_MEMORY_MB}M" \
		-object memory-backend-memfd,id=mem,size="${GUEST_MEMORY_MB}M",share=on -numa node,memdev=mem \
		-kernel "${K_IMAGE[i]}" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 vmtest.nonce=$nonce ${PROCLIFE_VMTEST_APPEND:-}" \
		-chardev file,id=console,path="$console" -serial chardev:console \
		-chardev socket,id=fsroot,path="$WORK_DIR/root-$i.sock" \
		-device vhost-user-fs-pci,chardev=fsroot,tag=vmtest-root \
		-chardev socket,id=fsxfer,path="$WORK_DIR/xfer-$i.sock" \
		-device vhost-user-fs-pci,chardev=fsxfer,tag=vmtest-xfer \
		>"$kdir/qemu.log" 2>&1 &
	qemu_pid=$!
	track_child "$qemu_pid"

	OUTPUT_OFFSET=0
	while kill -0 "$qemu_pid" 2>/dev/null; do
		stream_guest_output "$share/output.log"
		if [[ -z $result_ms && -f $share/status ]]; then
			result_ms=$(now_ms)
		fi
		if [[ -n $result_ms ]] && (($(now_ms) - result_ms > POWEROFF_GRACE_SECS * 1000)); then
			warn "guest reported its result but did not power off; stopping it"
			kill -TERM "$qemu_pid" 2>/dev/null || true
		fi
		sleep 0.2
	done
	wait "$qemu_pid" || qemu_rc=$?
	[[ -n $result_ms || ! -f $share/status ]] || result_ms=$(now_ms)
	stream_guest_output "$share/output.log"
	stop_children

	classify_result "$kdir" "$nonce" "$qemu_rc" "$start_ms" "$result_ms" "$release"
	say "$RESULT_LINE"
}

# The guest kernel's own account of a panic, from the console log into this output,
# which is all a CI log keeps.
# Sets OOPS to that excerpt.
OOPS=""
OOPS_START='BUG:|Oops|general protection|Kernel panic'
print_oops() { # CONSOLE [PATTERN: the line it starts at, default the first Oops or BUG]
	local first
	first=$(grep -n -m 1 -E "${2:-$OOPS_START}" "$1" | cut -d: -f1)
	OOPS=$(sed -n "${first:-1},+59p" "$1" | tr -d '\r')
	say "--- the guest's console from its first Oops or BUG (at most 60 lines) ---"
	printf '%s\n' "$OOPS"
	say "--- end of console excerpt ---"
}

# Whether an eBPF program or trampoline is in any backtrace from the first line
# matching PATTERN to the end of CONSOLE: every CPU's, not only the excerpt
# print_oops shows (a lockup's other CPUs are reported after it).
ebpf_in_trace() { # CONSOLE PATTERN
	local first
	first=$(grep -n -m 1 -E "$2" "$1" | cut -d: -f1)
	tail -n +"${first:-1}" "$1" | grep -q -E 'bpf_prog_|bpf_trampoline'
}

# Turns what came back into one verdict: a status (file, else console marker) decides
# PASS/FAIL; without one, the timeout's exit code tells a hang from a dead guest.
classify_result() { # KDIR NONCE QEMU_RC START_MS RESULT_MS FALLBACK_RELEASE
	local kdir=$1 nonce=$2 qemu_rc=$3 start_ms=$4 result_ms=$5 release=$6
	local share="$kdir/guest" console="$kdir/console.log" status="" elapsed
	[[ -s $share/release ]] && release=$(<"$share/release")
	if [[ -s $share/status ]]; then
		status=$(<"$share/status")
	elif [[ -f $console ]]; then
		status=$(tr -d '\r' <"$console" | sed -n "s/^vmtest-status-$nonce=\([0-9]*\)$/\1/p" | tail -n 1)
	fi
	elapsed=$(format_secs $((${result_ms:-$(now_ms)} - start_ms)))

	RESULT_OK=0
	RESULT_RETRY=0
	if [[ $status =~ ^[0-9]+$ ]]; then
		if ((status == 0)); then
			RESULT_OK=1
			RESULT_LINE="$release: PASS (boot to result ${elapsed} s)"
		else
			RESULT_LINE="$release: FAIL (tests failed, exit $status; boot to result ${elapsed} s; output: $share/output.log)"
		fi
	elif ((qemu_rc == 124 || qemu_rc == 137)); then
		RESULT_LINE="$release: TIMEOUT (no result after $TIMEOUT_SECS s; console log: $console)"
		# A vCPU that stopped dead (the watchdog's soft lockup, its RIP never moving)
		# while the other patched tracepoint call sites: software emulation, as with
		# the panics below, unless that CPU was running our programs.
		if grep -q 'soft lockup - CPU' "$console" 2>/dev/null; then
			print_oops "$console" 'soft lockup - CPU'
			if ebpf_in_trace "$console" 'soft lockup - CPU'; then
				RESULT_LINE="$RESULT_LINE; a CPU locked up with an eBPF program in its trace"
			else
				RESULT_RETRY=1
			fi
		fi
	else
		local why="guest died or panicked"
		if [[ -s $share/setup-error ]]; then
			why="guest setup failed: $(head -n 1 "$share/setup-error")"
		elif grep -q "vmtest-setup-failed-$nonce:" "$console" 2>/dev/null; then
			why="guest setup failed: $(tr -d '\r' <"$console" | sed -n "s/^vmtest-setup-failed-$nonce: //p" | tail -n 1)"
		elif grep -q 'Kernel panic' "$console" 2>/dev/null; then
			why="guest panicked: $(grep -m 1 -o 'Kernel panic.*' "$console" | tr -d '\r')"
			print_oops "$console"
			# A BPF program or trampoline in the panic's trace: the probe is implicated,
			# and no second boot may hide it.
			if ebpf_in_trace "$console" "$OOPS_START"; then
				why="$why; an eBPF program is in its trace"
			else
				RESULT_RETRY=1
			fi
		elif ((qemu_rc != 0)); then
			why="qemu exited with $qemu_rc, see $kdir/qemu.log"
		fi
		RESULT_LINE="$release: NO RESULT ($why; console log: $console)"
	fi
}

# ---------------------------------------------------------------------------------------------

main() {
	parse_args "$@"
	((EUID == 0)) || die "must run as root (virtiofsd, apt-get)"
	check_build_dir
	WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/proclife-vmtest.XXXXXX")
	trap cleanup EXIT
	trap 'echo; say "interrupted"; exit 130' INT TERM HUP

	ensure_host_packages
	prepare_kernels
	mkdir -p "$RESULTS_DIR"
	say "results in $RESULTS_DIR"

	local i summary=() failed=0
	for i in "${!K_SPEC[@]}"; do
		run_kernel "$i"
		if ((RESULT_RETRY)); then
			# Guests run under software emulation, which has panicked them at boot with
			# no probe loaded (an int3 Oops in sched_clock_cpu), and once in a full CI
			# run that 200 attach/detach cycles and repeated runs did not reproduce; and
			# once stopped a vCPU dead at a tracepoint's patched call site in an RCU
			# callback (6.1, a soft lockup), the other CPU then waiting on that grace
			# period to attach. A panic or lockup with no eBPF frame in its trace gets
			# one more boot; the first stays in the summary, with its excerpt above.
			local first=$RESULT_LINE
			say "the guest panicked or a vCPU locked up: booting it once more"
			run_kernel "$i"
			RESULT_LINE="$RESULT_LINE; the boot before it: $first"
		fi
		summary+=("$RESULT_LINE")
		((RESULT_OK)) || failed=$((failed + 1))
	done

	say "=== summary (results in $RESULTS_DIR) ==="
	local line
	for line in "${summary[@]}"; do
		say "$line"
	done
	local total=${#K_SPEC[@]}
	if ((failed)); then
		say "overall: FAIL ($failed of $total kernels did not pass)"
		exit 1
	fi
	say "overall: PASS ($total of $total kernels passed)"
}

main "$@"
