#!/usr/bin/env bash
# Copies the files the portal's chart and map views load from the npm tarballs pinned in
# ckanext-satudata/js-packages.txt into $1 (the extension's public folder, before it is installed): each tarball is
# taken with `npm pack` into a cache beside the venv and refused unless its SHA-512 equals the pinned integrity.
# Usage: js_vendor.sh <pins file> <destination folder>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pins="$1" dest="$2"
cache="$VENV/js-packages"
mkdir -p "$cache" "$dest"
while read -r name version integrity files; do
    [[ -z $name || $name == \#* ]] && continue
    tarball="$cache/${name//\//-}-$version.tgz"
    if [[ ! -f $tarball ]]; then
        npm pack "$name@$version" --pack-destination "$cache" --silent >/dev/null </dev/null
    fi
    got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    if [[ $got != "$integrity" ]]; then
        rm -f "$tarball"
        plog "$name@$version: tarball integrity $got differs from the pinned $integrity"
        exit 1
    fi
    mkdir -p "$dest/$name"
    # npm tarballs hold one top folder, `package/`.
    tar -xzf "$tarball" -C "$dest/$name" --strip-components=1 $(printf 'package/%s ' $files)
done <"$pins"
