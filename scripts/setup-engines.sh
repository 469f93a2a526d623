#!/usr/bin/env bash
# Fetches the pinned LadybugDB and DuckDB engines from PyPI, checks their SHA-256, builds the
# LadybugDB C API against the wheel's engine plus a stub for the CPython symbols, and lays out
#   <cache>/include   lbug.h, duckdb.h
#   <cache>/lib       liblbug.so (engine), liblbug_capi.so, libduckdb.so, libgraphapi_pystub.so
#   <cache>/extensions/httpfs.duckdb_extension
# with <repo>/.engines a symlink to <cache>. Safe to run again: with everything present it only
# checks a stamp and the symlink, and downloads nothing.
#
# Environment:
#   GRAPH_API_CACHE_DIR   where downloads and builds are kept (default ${XDG_CACHE_HOME:-~/.cache}/graph-api)
#   GRAPH_API_ENGINES_LINK  the symlink to create (default <repo>/.engines; empty to skip)
set -euo pipefail

LADYBUG_VERSION=0.22.0
DUCKDB_VERSION=1.5.5
LAYOUT_VERSION=2 # bump when the layout or build recipe below changes (or scripts/engine-shim/)

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${GRAPH_API_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/graph-api}
link=${GRAPH_API_ENGINES_LINK-$repo_dir/.engines}

current_step="start"
failed=0
fail() {
    echo "setup-engines: FAILED at step '$current_step': $*" >&2
    failed=1
    exit 1
}
trap 'rc=$?; [ $rc -ne 0 ] && [ $failed -eq 0 ] && echo "setup-engines: FAILED at step '"'"'$current_step'"'"' (exit $rc); see the messages above." >&2' EXIT
step() {
    current_step=$1
    echo "setup-engines: $1" >&2
}

case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) current_step="detect architecture"; fail "unsupported machine architecture '$(uname -m)' (x86_64 and aarch64 wheels exist)" ;;
esac

# file name -> SHA-256, for this architecture.
declare -A sha
if [ "$arch" = x86_64 ]; then
    ladybug_wheel=ladybug-$LADYBUG_VERSION-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
    duckdb_wheel=duckdb-$DUCKDB_VERSION-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl
    httpfs_wheel=duckdb_extension_httpfs-$DUCKDB_VERSION-py3-none-manylinux2014_x86_64.whl
    sha[$ladybug_wheel]=22ff14f3b18d0f3f3d244caa0361a4bdaaeefe61c6aa9cb836137910157b2a39
    sha[$duckdb_wheel]=b9b6f86ed85d4ef5e0211eaebf75d057bd8bb520bba438a95dd0f4e42234bbfe
    sha[$httpfs_wheel]=84913dbe172ccb54368de2c4a020c38ca8b0e76f99df548f7fac37934cc7826f
else
    ladybug_wheel=ladybug-$LADYBUG_VERSION-cp311-cp311-manylinux_2_26_aarch64.manylinux_2_28_aarch64.whl
    duckdb_wheel=duckdb-$DUCKDB_VERSION-cp311-cp311-manylinux_2_26_aarch64.manylinux_2_28_aarch64.whl
    httpfs_wheel=duckdb_extension_httpfs-$DUCKDB_VERSION-py3-none-manylinux2014_aarch64.whl
    sha[$ladybug_wheel]=c483bd10850405df5bbfa6c4e5467ba16b3c20a11344c3b2e0c50bf15cffab24
    sha[$duckdb_wheel]=2e72f9e1a4f90a5c8483ad4d540e495bf0834ba61c360b52499a573d7ed62a3f
    sha[$httpfs_wheel]=567d17e398fc29f7ea4bc42ea277ea19643bd1ad1815f676cb6dd994b50399bb
fi
ladybug_sdist=ladybug-$LADYBUG_VERSION.tar.gz
duckdb_sdist=duckdb-$DUCKDB_VERSION.tar.gz
sha[$ladybug_sdist]=5681d1a6531ab8f77b6d74513eaffef856e5f97923b9e50110a595bdbb9e9c00
sha[$duckdb_sdist]=72f33ee57ca7595b23957671a2cc7f7fe2be0ecc2d68f63abedcfcaa3a5c1238

# The shim's sources are part of the key, so an edit to them builds a new cache entry.
shim_hash=$(cat "$repo_dir"/scripts/engine-shim/* | sha256sum | cut -c1-8)
key=ladybug-$LADYBUG_VERSION-duckdb-$DUCKDB_VERSION-$arch-v$LAYOUT_VERSION-$shim_hash
out=$cache_root/engines/$key
downloads=$cache_root/downloads
stamp=$out/.complete

make_link() {
    [ -n "$link" ] || return 0
    if [ "$(readlink "$link" 2>/dev/null)" != "$out" ]; then
        rm -rf "$link"
        ln -s "$out" "$link"
    fi
}

# C libraries from Debian that the server links: libzstd (backup archives) and zlib (gzip). Their
# -dev packages are installed when missing and this runs as root with apt-get; otherwise it says
# what to install.
step "check system libraries (libzstd, zlib)"
missing_debs=()
[ -f /usr/include/zstd.h ] || missing_debs+=(libzstd-dev)
[ -f /usr/include/zlib.h ] || missing_debs+=(zlib1g-dev)
if [ ${#missing_debs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup-engines: installing ${missing_debs[*]} from Debian" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_debs[@]}" >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_debs[@]}" >&2; } ||
            fail "could not install ${missing_debs[*]} with apt-get"
    else
        fail "missing C libraries: install ${missing_debs[*]} (on Debian: sudo apt-get install -y ${missing_debs[*]})"
    fi
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    make_link
    echo "setup-engines: engines ready in $out" >&2
    trap - EXIT
    exit 0
fi

step "check tools"
for tool in python3 g++ gcc nm sha256sum tar unzip; do
    command -v "$tool" >/dev/null 2>&1 || fail "missing tool '$tool' (on Debian: apt-get install -y python3-pip g++ binutils coreutils tar unzip)"
done
python3 -m pip --version >/dev/null 2>&1 || fail "python3 has no pip (on Debian: apt-get install -y python3-pip)"

verify() { # file
    local f=$1 name expected actual
    name=$(basename "$f")
    expected=${sha[$name]:-}
    [ -n "$expected" ] || fail "no pinned checksum for '$name'"
    actual=$(sha256sum "$f" | awk '{print $1}')
    if [ "$actual" != "$expected" ]; then
        rm -f "$f"
        fail "checksum mismatch for $name: expected $expected, got $actual (the corrupt file was removed; run again to download it anew)"
    fi
}

step "download pinned wheels and sources from PyPI"
mkdir -p "$downloads"
need_wheels=()
for f in "$ladybug_wheel" "$duckdb_wheel" "$httpfs_wheel"; do
    [ -f "$downloads/$f" ] || need_wheels+=("$f")
done
if [ ${#need_wheels[@]} -gt 0 ]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
        --platform "manylinux_2_28_$arch" --platform "manylinux2014_$arch" -d "$downloads" \
        "ladybug==$LADYBUG_VERSION" "duckdb==$DUCKDB_VERSION" "duckdb-extension-httpfs==$DUCKDB_VERSION" \
        || fail "pip could not download the engine wheels (is PyPI reachable?)"
fi
[ -f "$downloads/$ladybug_sdist" ] || python3 -m pip download --quiet --no-deps --no-binary ladybug \
    -d "$downloads" "ladybug==$LADYBUG_VERSION" || fail "pip could not download the LadybugDB source (is PyPI reachable?)"
[ -f "$downloads/$duckdb_sdist" ] || python3 -m pip download --quiet --no-deps --no-binary duckdb \
    -d "$downloads" "duckdb==$DUCKDB_VERSION" || fail "pip could not download the DuckDB source (is PyPI reachable?)"

step "verify SHA-256 of downloads"
for f in "$ladybug_wheel" "$duckdb_wheel" "$httpfs_wheel" "$ladybug_sdist" "$duckdb_sdist"; do
    [ -f "$downloads/$f" ] || fail "expected download '$f' is missing after pip download (did PyPI serve another file name?)"
    verify "$downloads/$f"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/graph-api-engines.XXXXXX")
cleanup() { rm -rf "$work"; }
trap 'rc=$?; cleanup; [ $rc -ne 0 ] && [ $failed -eq 0 ] && echo "setup-engines: FAILED at step '"'"'$current_step'"'"' (exit $rc); see the messages above." >&2' EXIT
staging=$work/out
mkdir -p "$staging/include" "$staging/lib" "$staging/extensions"

step "unpack engines"
unzip -q "$downloads/$ladybug_wheel" 'ladybug/_lbug*.so' -d "$work/lbug-wheel" || fail "cannot unpack $ladybug_wheel"
unzip -q "$downloads/$duckdb_wheel" '_duckdb*.so' -d "$work/duckdb-wheel" || fail "cannot unpack $duckdb_wheel"
unzip -q "$downloads/$httpfs_wheel" '*/httpfs.duckdb_extension' -d "$work/httpfs-wheel" || fail "cannot unpack $httpfs_wheel"
lbug_engine=$(ls "$work"/lbug-wheel/ladybug/_lbug*.so)
lbug_soname=$(basename "$lbug_engine")
cp "$lbug_engine" "$staging/lib/$lbug_soname"
chmod 755 "$staging/lib/$lbug_soname"
ln -s "$lbug_soname" "$staging/lib/liblbug.so"
cp "$work"/duckdb-wheel/_duckdb*.so "$staging/lib/libduckdb.so"
cp "$(find "$work/httpfs-wheel" -name httpfs.duckdb_extension)" "$staging/extensions/httpfs.duckdb_extension"
tar -xzf "$downloads/$ladybug_sdist" -C "$work" || fail "cannot unpack $ladybug_sdist"
tar -xzf "$downloads/$duckdb_sdist" -C "$work" --wildcards '*/external/duckdb/src/include/duckdb.h' \
    || fail "cannot find duckdb.h in $duckdb_sdist"
src=$(find "$work" -maxdepth 3 -type d -name ladybug-source | head -n 1)
[ -n "$src" ] || fail "no ladybug-source folder in $ladybug_sdist"
cp "$src/src/include/c_api/lbug.h" "$staging/include/lbug.h"
cp "$repo_dir/scripts/engine-shim/graphapi_engine.h" "$staging/include/graphapi_engine.h"
cp "$(find "$work" -path '*/external/duckdb/src/include/duckdb.h' | head -n 1)" "$staging/include/duckdb.h"

step "generate system_config.h"
mkdir -p "$work/gen/common"
sed -e 's/@LBUG_VECTOR_CAPACITY_LOG2@/11/' -e 's/@LBUG_PAGE_SIZE_LOG2@/12/' \
    -e 's/@LBUG_DEFAULT_REL_STORAGE_DIRECTION@/BOTH_REL_STORAGE/' \
    -e 's/@LBUG_NODE_GROUP_SIZE_LOG2@/17/' -e 's/@LBUG_MAX_SEGMENT_SIZE_LOG2@/18/' \
    "$src/cmake/templates/system_config.h.in" >"$work/gen/common/system_config.h"
unknown=$(grep -o '@LBUG_[A-Z_0-9]*@' "$work/gen/common/system_config.h" | sort -u | tr '\n' ' ' || true)
[ -z "$unknown" ] || fail "system_config.h.in has placeholders this script does not know: $unknown"

step "compile the LadybugDB C API"
includes=(-I"$repo_dir/scripts/engine-compat" -I"$src/src/include" -I"$work/gen")
for d in fast_float/include utf8proc/include re2/include pcg roaring_bitmap spdlog zstd/include lz4 miniz \
    yyjson/src alp/include simsimd/include; do
    includes+=(-I"$src/third_party/$d")
done
sources=("$src"/src/c_api/*.cpp "$src/src/common/types/types.cpp" "$src/src/common/types/int128_t.cpp"
    "$src/src/common/types/value/recursive_rel.cpp" "$src/src/main/prepared_statement_manager.cpp"
    "$src/src/main/prepared_statement.cpp" "$repo_dir/scripts/engine-shim/graphapi_engine.cpp")
mkdir -p "$work/obj"
jobs=$(nproc 2>/dev/null || echo 2)
compile() { # source
    local rel=${1#"$src"/src/} obj
    rel=${rel#"$repo_dir"/}
    obj="$work/obj/$(echo "$rel" | tr / _).o"
    g++ -std=c++20 -O2 -DNDEBUG -fPIC -w "${includes[@]}" -c "$1" -o "$obj" 2>"$obj.log" ||
        { cat "$obj.log" >&2; echo "compile failed: $1" >&2; return 1; }
}
pids=()
for s in "${sources[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    compile "$s" &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status -eq 0 ] || fail "g++ could not compile the C API (see the compiler output above)"
step "link the LadybugDB C API"
g++ -shared -o "$staging/lib/liblbug_capi.so" -Wl,-soname,liblbug_capi.so "$work"/obj/*.o \
    -L"$staging/lib" -l:"$lbug_soname" -Wl,-rpath,'$ORIGIN' || fail "linking liblbug_capi.so failed"

step "check the C API's undefined symbols against the engine"
# Versioned references (name@GLIBC_..., name@GLIBCXX_...) come from the system libraries; every
# unversioned one must be defined by the engine.
missing=$(comm -23 <(nm -D --undefined-only "$staging/lib/liblbug_capi.so" | awk '{print $2}' | grep -v '@' | sort -u) \
    <(nm -D --defined-only "$staging/lib/$lbug_soname" | awk '{print $3}' | sed 's/@.*//' | sort -u) |
    grep -vE '^(_ITM_|__gmon_start__)' || true)
[ -z "$missing" ] || fail "the C API needs symbols the engine does not export: $missing"

step "build the CPython symbol stub"
{
    echo '/* Generated by scripts/setup-engines.sh: the engine wheels reference CPython symbols that no'
    echo '   code path reachable from the C APIs calls. Each one traps if it ever is. */'
    { nm -D --undefined-only "$staging/lib/$lbug_soname"; nm -D --undefined-only "$staging/lib/libduckdb.so"; } |
        awk '{print $2}' | sed 's/@.*//' | grep -E '^_?Py' | sort -u |
        while read -r s; do echo "void $s(void) { __builtin_trap(); }"; done
} >"$work/pystub.c"
gcc -shared -fPIC -O1 -w -o "$staging/lib/libgraphapi_pystub.so" -Wl,-soname,libgraphapi_pystub.so "$work/pystub.c" \
    || fail "compiling the CPython stub failed"

step "install into the cache"
mkdir -p "$(dirname "$out")"
rm -rf "$out"
mv "$staging" "$out"
echo "$key" >"$stamp"
make_link
echo "setup-engines: engines ready in $out" >&2
