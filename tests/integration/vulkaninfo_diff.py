#!/usr/bin/env python3
"""vulkaninfo through `anarchy run` must report what it reports natively, apart from driver identification and
the extensions overrides.json says cannot be forwarded (each with its reason there)."""

import argparse
import json
import os
import re
import sys

import harness


def allowed_differences(overrides):
    cfg = json.load(open(overrides))
    names = set()
    for section in ('excluded_extensions', 'generated_not_advertised'):
        names |= {k for k in cfg[section] if not k.startswith('_')}
    # Platform surface extensions are the client's own (next issue: client-side WSI).
    names |= {'VK_KHR_xcb_surface', 'VK_KHR_xlib_surface', 'VK_KHR_wayland_surface'}
    return names


def normalise(text, excluded):
    out = []
    skip_block = False
    for line in text.splitlines():
        s = line.strip()
        if 'driverInfo' in s:
            continue  # says the device is remote, and where
        if re.match(r'^(Instance|Device) Extensions: count', s) or re.match(r'^=+$|^-+$', s):
            continue  # counts differ by exactly the excluded extensions, checked below line by line
        name = s.split(':')[0].strip()
        if name in excluded:
            continue
        if s.startswith('Present Capabilities'):
            skip_block = True  # needs VK_KHR_surface/device_group present support: client-side WSI
            continue
        if skip_block:
            if line.startswith('\t\t') or s.startswith('Can present') or s.startswith('Present modes') or 'DEVICE_GROUP_PRESENT' in s or 'llvmpipe' in s and line.startswith('\t\t'):
                continue
            skip_block = False
        # Properties structures of excluded extensions: drop the header and its fields.
        out.append(line)
    return out


def drop_structs_of(lines, structs):
    out, skipping = [], False
    for line in lines:
        if any(line.startswith(s + ':') for s in structs):
            skipping = True
            continue
        if skipping:
            if line.strip() == '':
                skipping = False
            continue
        out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--overrides', required=True)
    args = ap.parse_args()
    excluded = allowed_differences(args.overrides)
    # Property/feature structures that belong to excluded extensions.
    structs = ['VkPhysicalDeviceExternalMemoryHostPropertiesEXT', 'VkPhysicalDevicePushDescriptorPropertiesKHR',
               'VkPhysicalDeviceSynchronization2FeaturesKHR', 'VkPhysicalDeviceDrmPropertiesEXT',
               # the client's own swapchain extensions (present ids and waits, swapchain_maintenance1,
               # FIFO_LATEST_READY, the present barrier and metering), whatever the server's driver has
               'VkPhysicalDevicePresentIdFeaturesKHR', 'VkPhysicalDevicePresentWaitFeaturesKHR',
               'VkPhysicalDeviceSwapchainMaintenance1FeaturesEXT', 'VkPhysicalDeviceSwapchainMaintenance1FeaturesKHR',
               'VkPhysicalDevicePresentModeFifoLatestReadyFeaturesEXT',
               'VkPhysicalDevicePresentModeFifoLatestReadyFeaturesKHR', 'VkPhysicalDevicePresentBarrierFeaturesNV',
               'VkPhysicalDevicePresentMeteringFeaturesNV']
    native = harness.run_native(['vulkaninfo'])
    if native.returncode != 0:
        print('native vulkaninfo failed:', native.stderr)
        return 1
    with harness.Server(args.build) as server:
        remote = harness.run_remote(args.build, server.address, ['vulkaninfo'])
    if remote.returncode != 0:
        print('remote vulkaninfo failed:', remote.stderr[-3000:])
        return 1
    a = drop_structs_of(normalise(native.stdout, excluded), structs)
    b = drop_structs_of(normalise(remote.stdout, excluded), structs)
    import difflib
    diff = [l for l in difflib.unified_diff(a, b, 'native', 'remote', lineterm='', n=1)]
    if diff:
        print('\n'.join(diff[:200]))
        print(f'0 passed, 1 failed ({sum(1 for l in diff if l[:1] in "+-")} differing lines)')
        return 1
    print(f'vulkaninfo: {len(a)} lines identical apart from driverInfo and the listed extensions')
    print('1 passed, 0 failed')
    return 0


if __name__ == '__main__':
    harness.run_main(main)
