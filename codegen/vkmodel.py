"""Builds Anarchy's model of the Vulkan API from the Khronos registry.

Loads vk.xml through the registry's own reg.py / generator.py, lets its feature selection decide what
belongs to Vulkan 1.0-1.3 and the chosen extensions, and records structs, unions, enums, handles and
commands in plain Python objects the emitters can walk. It also decides what can be forwarded across
machines: a type is unforwardable when it holds host pointers, function pointers, platform objects or
bitfields; a command is unforwardable when any of its parameters is.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as etree


def for_vulkan(elem):
    """True if a registry element belongs to the Vulkan API (api="vulkan,vulkanbase" does; "vulkansc" alone does not)."""
    api = elem.get('api')
    return api is None or 'vulkan' in api.split(',')


class Member:
    """One struct member or command parameter."""

    def __init__(self, elem):
        self.type = elem.find('type').text
        self.name = elem.find('name').text
        text = ''.join(elem.itertext())
        before_name = (elem.text or '') + ''.join(
            (c.text or '') + (c.tail or '') for c in elem if c.tag == 'type')
        self.ptr = before_name.count('*')
        self.const = before_name.strip().startswith('const')
        # Pointer-to-const-pointer ("const char* const*") counts both levels as const input.
        self.const_inner = 'const*' in before_name.replace(' ', '') or self.const
        name_tail = elem.find('name').tail or ''
        self.bitfield = ':' in name_tail
        self.array = []
        after = name_tail
        seen_name = False
        for c in elem:
            if c.tag == 'name':
                seen_name = True
                continue
            if seen_name and c.tag == 'enum':
                after += (c.text or '') + (c.tail or '')
        for m in re.finditer(r'\[([^\]]+)\]', after):
            self.array.append(m.group(1).strip())
        self.len = [x.strip() for x in elem.get('len', '').split(',')] if elem.get('len') else []
        self.altlen = elem.get('altlen')
        # The parameter giving the byte distance between consecutive elements of this array (vkCmdDrawMultiEXT).
        self.stride = elem.get('stride')
        self.optional = [x == 'true' for x in elem.get('optional', '').split(',')] if elem.get('optional') else []
        self.noautovalidity = elem.get('noautovalidity') == 'true'
        self.values = elem.get('values')
        self.selector = elem.get('selector')
        self.selection = elem.get('selection')

    def is_optional(self, level=0):
        return len(self.optional) > level and self.optional[level]

    def __repr__(self):
        return f'Member({self.type} {"*" * self.ptr}{self.name}{self.array} len={self.len})'


class Struct:
    def __init__(self, name, elem, is_union):
        self.name = name
        self.is_union = is_union
        self.members = [Member(m) for m in elem.findall('member') if for_vulkan(m)]
        self.extends = [x for x in elem.get('structextends', '').split(',') if x]
        self.returnedonly = elem.get('returnedonly') == 'true'
        self.stype = None
        for m in self.members:
            if m.name == 'sType' and m.values:
                self.stype = m.values
        self.forwardable = True
        self.why_not = ''
        self.aliases = []
        # A union only ever used through a selector member (classify): the selected member alone travels.
        self.selected = False
        # Plain values with bitfields (classify): encoded as the structure's bytes.
        self.raw_bytes = False


class Command:
    def __init__(self, name, elem):
        self.name = name
        proto = elem.find('proto')
        self.ret = proto.find('type').text
        self.params = [Member(p) for p in elem.findall('param') if for_vulkan(p)]
        # Error codes the specification allows, in the registry's order.
        self.errorcodes = [x for x in (elem.get('errorcodes') or '').split(',') if x]
        self.protect = None  # platform macro (VK_USE_PLATFORM_...) for commands of platform extensions
        self.forwardable = True
        self.why_not = ''
        self.aliases = []
        self.feature = None  # 'VK_VERSION_1_x' or extension name


class Model:
    def __init__(self):
        self.structs = {}      # name -> Struct (unions too)
        self.struct_order = []
        self.handles = {}      # name -> dict(dispatchable, parent, objtypeenum)
        self.enums = {}        # name -> list of (value name, int value)
        self.bitmasks = {}     # name -> underlying (VkFlags / VkFlags64)
        self.basetypes = {}    # name -> underlying C type text
        self.commands = {}     # name -> Command
        self.command_order = []
        self.aliases = {}      # alias type name -> real name
        self.extensions = {}   # name -> dict(type, commands, types, number)
        self.funcpointers = set()
        self.platform_types = set()


def load_registry(registry_dir):
    sys.path.insert(0, registry_dir)
    import reg  # noqa: E402  (the Khronos registry's own module)
    from generator import OutputGenerator, GeneratorOptions  # noqa: E402
    return reg, OutputGenerator, GeneratorOptions


def build_model(registry_dir, config):
    """Runs the registry's feature selection and returns a Model."""
    reg, OutputGenerator, GeneratorOptions = load_registry(registry_dir)
    from vkconventions import VulkanConventions

    model = Model()

    class Collector(OutputGenerator):
        def __init__(self):
            super().__init__(errFile=sys.stderr, warnFile=open(os.devnull, 'w'), diagFile=None)
            self.current_feature = None

        def beginFile(self, genOpts):
            self.genOpts = genOpts
            self.conventions = genOpts.conventions

        def endFile(self):
            pass

        def beginFeature(self, interface, emit):
            super().beginFeature(interface, emit)
            self.current_feature = interface.get('name')
            if interface.tag == 'extension':
                model.extensions[self.current_feature] = {
                    'type': interface.get('type'),
                    'number': int(interface.get('number')),
                    'commands': [], 'types': [],
                    'promotedto': interface.get('promotedto'),
                }

        def endFeature(self):
            super().endFeature()

        def genType(self, typeinfo, name, alias):
            super().genType(typeinfo, name, alias)
            elem = typeinfo.elem
            cat = elem.get('category')
            if self.current_feature in model.extensions:
                model.extensions[self.current_feature]['types'].append(name)
            if alias:
                model.aliases[name] = alias
                return
            if cat in ('struct', 'union'):
                self.genStruct(typeinfo, name, alias)
            elif cat == 'handle':
                objenum = elem.get('objtypeenum')
                ty = elem.find('type').text if elem.find('type') is not None else ''
                model.handles[name] = {
                    'dispatchable': ty == 'VK_DEFINE_HANDLE',
                    'parent': elem.get('parent'),
                    'objtype': objenum,
                }
            elif cat == 'bitmask':
                t = elem.find('type')
                model.bitmasks[name] = t.text if t is not None else 'VkFlags'
            elif cat == 'basetype':
                t = elem.find('type')
                model.basetypes[name] = t.text if t is not None else None
            elif cat == 'funcpointer':
                model.funcpointers.add(name)

        def genStruct(self, typeinfo, name, alias):
            if name in model.structs:
                return
            s = Struct(name, typeinfo.elem, typeinfo.elem.get('category') == 'union')
            model.structs[name] = s
            model.struct_order.append(name)

        def genGroup(self, groupinfo, name, alias):
            super().genGroup(groupinfo, name, alias)
            if alias:
                model.aliases[name] = alias
                return
            values = []
            for e in groupinfo.elem.findall('enum'):
                if e.get('alias'):
                    continue
                v = e.get('value')
                bitpos = e.get('bitpos')
                if bitpos is not None:
                    values.append((e.get('name'), 1 << int(bitpos)))
                elif v is not None:
                    try:
                        values.append((e.get('name'), int(v, 0)))
                    except ValueError:
                        pass
                elif e.get('offset') is not None:
                    ext = int(e.get('extnumber') or self._extnumber_of(e))
                    val = 1000000000 + (ext - 1) * 1000 + int(e.get('offset'))
                    if e.get('dir') == '-':
                        val = -val
                    values.append((e.get('name'), val))
            model.enums[name] = values

        def _extnumber_of(self, e):
            # Enum values added by an extension carry the extension's number on their parent.
            return e.get('extnumber') or 1

        def genEnum(self, enuminfo, name, alias):
            pass

        def genCmd(self, cmdinfo, name, alias):
            super().genCmd(cmdinfo, name, alias)
            if self.current_feature in model.extensions:
                model.extensions[self.current_feature]['commands'].append(name)
            if alias:
                model.aliases[name] = alias
                return
            c = Command(name, cmdinfo.elem)
            c.feature = self.current_feature
            model.commands[name] = c
            model.command_order.append(name)

    ext_regex = '^(' + '|'.join(re.escape(e) for e in config['extensions']) + ')$'
    opts = GeneratorOptions(
        conventions=VulkanConventions(),
        filename='unused',
        directory='.',
        apiname='vulkan',
        # 1.4 splits each version into internal base/compute/graphics features; all of them are Vulkan.
        versions='^VK_(BASE_|COMPUTE_|GRAPHICS_)?VERSION_1_[0-4]$',
        emitversions='^VK_(BASE_|COMPUTE_|GRAPHICS_)?VERSION_1_[0-4]$',
        defaultExtensions=None,
        addExtensions=ext_regex,
        removeExtensions=None,
        emitExtensions=ext_regex,
    )
    gen = Collector()
    registry = reg.Registry(gen, opts)
    registry.loadElementTree(etree.parse(os.path.join(registry_dir, 'vk.xml')))
    registry.apiGen()

    # Extension-added enum values: compute from the raw tree so offsets use the right extension number.
    tree = registry.tree
    for ext in tree.findall('extensions/extension'):
        number = int(ext.get('number'))
        for req in ext.findall('require'):
            for e in req.findall('enum'):
                group = e.get('extends')
                if not group or group not in model.enums or e.get('alias'):
                    continue
                val = None
                if e.get('offset') is not None:
                    extnum = int(e.get('extnumber') or number)
                    val = 1000000000 + (extnum - 1) * 1000 + int(e.get('offset'))
                    if e.get('dir') == '-':
                        val = -val
                elif e.get('bitpos') is not None:
                    val = 1 << int(e.get('bitpos'))
                elif e.get('value') is not None:
                    try:
                        val = int(e.get('value'), 0)
                    except ValueError:
                        val = None
                names = [n for n, _ in model.enums[group]]
                if val is not None and e.get('name') not in names:
                    model.enums[group].append((e.get('name'), val))
    for feat in tree.findall('feature'):
        for req in feat.findall('require'):
            for e in req.findall('enum'):
                group = e.get('extends')
                if not group or group not in model.enums or e.get('alias'):
                    continue
                if e.get('offset') is not None:
                    val = 1000000000 + (int(e.get('extnumber')) - 1) * 1000 + int(e.get('offset'))
                    if e.get('dir') == '-':
                        val = -val
                elif e.get('bitpos') is not None:
                    val = 1 << int(e.get('bitpos'))
                elif e.get('value') is not None:
                    val = int(e.get('value'), 0)
                else:
                    continue
                names = [n for n, _ in model.enums[group]]
                if e.get('name') not in names:
                    model.enums[group].append((e.get('name'), val))
    load_video_types(model, os.path.join(registry_dir, 'video.xml'))
    # Platform types are declared with requires="X11/Xlib.h" etc.
    for t in tree.findall('types/type'):
        if t.get('requires') and t.get('category') is None and t.get('requires') != 'vk_platform':
            model.platform_types.add(t.get('name'))
    for name, real in list(model.aliases.items()):
        if real in model.structs:
            model.structs[real].aliases.append(name)
        if real in model.commands:
            model.commands[real].aliases.append(name)
    for key, expr in config.get('member_lengths', {}).items():
        if key.startswith('_'):
            continue
        owner, member = key.split('.')
        m = next(x for x in model.structs[owner].members if x.name == member)
        if m.len:
            raise SystemExit(f'{key}: the registry gives its length already ({m.len}); drop it from member_lengths')
        m.len = [expr]
    classify(model, config)
    return model


def load_video_types(model, path):
    """The video codec standards' structures and enums (video.xml: StdVideoH264SequenceParameterSet, ...), which
    vk.xml only names (requires="vk_video/..."). They are plain C structures: values, bitfield flag words, arrays
    and pointers to more of them, so the same encoders carry them. They go first in the structure order, since
    the Vulkan structures of the video extensions point at them."""
    if not os.path.exists(path):
        return
    root = etree.parse(path).getroot()
    order = []
    for t in root.findall('types/type'):
        name = t.get('name')
        if t.get('category') in ('struct', 'union') and name not in model.structs:
            model.structs[name] = Struct(name, t, t.get('category') == 'union')
            order.append(name)
    model.struct_order[:0] = order
    for group in root.findall('enums'):
        if group.get('type') != 'enum':
            continue
        values = []
        for e in group.findall('enum'):
            if e.get('alias') or e.get('value') is None:
                continue
            try:
                values.append((e.get('name'), int(e.get('value'), 0)))
            except ValueError:
                pass
        model.enums[group.get('name')] = values


def command_requirements(tree):
    """Where each command name (canonical or alias) comes from: {name: (core version as (major, minor) or None,
    set of extensions that add it)}. A device may call a name only if its API version reaches that core version
    or it enabled one of those extensions."""
    reqs = {}
    for feat in tree.findall('feature'):
        if not for_vulkan(feat):
            continue
        major, minor = (int(x) for x in feat.get('number').split('.'))
        for req in feat.findall('require'):
            for c in req.findall('command'):
                version, exts = reqs.get(c.get('name'), (None, set()))
                if version is None or (major, minor) < version:
                    version = (major, minor)
                reqs[c.get('name')] = (version, exts)
    for ext in tree.findall('extensions/extension'):
        if 'vulkan' not in ext.get('supported', '').split(','):
            continue
        for req in ext.findall('require'):
            for c in req.findall('command'):
                version, exts = reqs.get(c.get('name'), (None, set()))
                exts.add(ext.get('name'))
                reqs[c.get('name')] = (version, exts)
    return reqs


def platform_commands(tree, names):
    """Commands outside the model (platform extensions', and the client's own of extensions not generated) by
    name, with their aliases, platform macro and the headers their parameter types need. Returns (commands by
    name, sorted header list)."""
    protect = {p.get('name'): p.get('protect') for p in tree.findall('platforms/platform')}
    macro_of = {}
    for ext in tree.findall('extensions/extension'):
        if not ext.get('platform'):
            continue
        for req in ext.findall('require'):
            for c in req.findall('command'):
                macro_of[c.get('name')] = protect[ext.get('platform')]
    requires = {t.get('name'): t.get('requires') for t in tree.findall('types/type') if t.get('requires')}
    found = {}
    headers = set()
    for elem in tree.findall('commands/command'):
        proto = elem.find('proto')
        if proto is None or proto.find('name').text not in names:
            continue
        c = Command(proto.find('name').text, elem)
        c.protect = macro_of.get(c.name)
        c.headers = sorted({requires[p.type] for p in c.params if requires.get(p.type, 'vk_platform') != 'vk_platform'})
        headers.update(c.headers)
        found[c.name] = c
    # Their aliases (vkReleaseSwapchainImagesEXT for vkReleaseSwapchainImagesKHR) reach the same function.
    for elem in tree.findall('commands/command'):
        if elem.get('alias') in found:
            found[elem.get('alias')].aliases.append(elem.get('name'))
    return found, sorted(headers)


SCALARS = {
    'uint8_t': ('u8', 1), 'int8_t': ('u8', 1), 'uint16_t': ('u16', 2), 'int16_t': ('u16', 2),
    'uint32_t': ('u32', 4), 'int32_t': ('i32', 4), 'uint64_t': ('u64', 8), 'int64_t': ('i64', 8),
    'float': ('f32', 4), 'double': ('f64', 8), 'size_t': ('size', 8), 'char': ('u8', 1),
    'VkBool32': ('u32', 4), 'VkDeviceSize': ('u64', 8), 'VkDeviceAddress': ('u64', 8),
    'VkSampleMask': ('u32', 4), 'VkFlags': ('u32', 4), 'VkFlags64': ('u64', 8),
}


def resolve(model, t):
    while t in model.aliases:
        t = model.aliases[t]
    return t


def type_kind(model, t):
    """Returns one of scalar, enum, bitmask, handle, struct, union, void, unforwardable."""
    t = resolve(model, t)
    if t in SCALARS:
        return 'scalar'
    if t in model.enums:
        return 'enum'
    if t in model.bitmasks:
        return 'bitmask'
    if t in model.basetypes:
        base = model.basetypes[t]
        if base in SCALARS:
            return 'scalar'
        return 'unforwardable'
    if t in model.handles:
        return 'handle'
    if t in model.structs:
        return 'union' if model.structs[t].is_union else 'struct'
    if t == 'void':
        return 'void'
    return 'unforwardable'


def scalar_of(model, t):
    """The wire primitive for a scalar, enum or bitmask type."""
    t = resolve(model, t)
    if t in SCALARS:
        return SCALARS[t][0]
    if t in model.enums:
        return 'i32'
    if t in model.bitmasks:
        return 'u64' if model.bitmasks[t] == 'VkFlags64' else 'u32'
    if t in model.basetypes:
        return SCALARS[model.basetypes[t]][0]
    raise KeyError(t)


def is_plain(model, name, depth=0):
    """True for a struct or union made only of values (no pointers, handles or opaque types): copyable as bytes."""
    s = model.structs.get(resolve(model, name))
    if s is None or depth > 8:
        return False
    for m in s.members:
        k = type_kind(model, m.type)
        if m.ptr or m.bitfield or k in ('handle', 'unforwardable', 'void'):
            return False
        if k in ('struct', 'union') and not is_plain(model, m.type, depth + 1):
            return False
    return True


def classify(model, config):
    """Marks structs and commands that cannot be forwarded, with the reason."""
    address_unions = set(config.get('address_unions', []))

    inner_lengths = {k for k in config.get('inner_lengths', {}) if not k.startswith('_')}
    null_members = {k for k in config.get('null_members', {}) if not k.startswith('_')}
    context_lengths = {k for k in config.get('context_lengths', {}) if not k.startswith('_')}

    def member_problem(m, owner, owner_name=None):
        owner_name = owner.name if owner is not None else owner_name
        if f'{owner_name}.{m.name}' in null_members or f'{owner_name}.{m.name}' in context_lengths:
            return None
        kind = type_kind(model, m.type)
        if m.bitfield:
            return 'bitfield member ' + m.name
        if resolve(model, m.type) in model.funcpointers:
            return 'function pointer ' + m.name
        if kind == 'unforwardable':
            return f'type {m.type} of {m.name} cannot cross machines'
        if m.name == 'pNext':
            return None
        if kind == 'void':
            if m.ptr == 1 and m.len:
                return None
            return f'host pointer {m.name}'
        if m.ptr >= 2:
            if m.type == 'char' and m.len and m.len[-1] == 'null-terminated':
                return None
            # An array of pointers to arrays whose lengths are known (ppGeometries, ppBuildRangeInfos).
            if m.ptr == 2 and m.len and (len(m.len) > 1 or f'{owner_name}.{m.name}' in inner_lengths) and \
                    type_kind(model, m.type) in ('struct', 'scalar'):
                return None
            return f'pointer to pointer {m.name}'
        if m.ptr == 1 and m.type == 'char' and not (m.len and m.len[0] in ('null-terminated',) or m.altlen):
            if m.len and m.len[0] != 'null-terminated':
                return None
            return f'char pointer {m.name} without length'
        if m.ptr == 1 and m.len and owner is not None and m.len[0] not in ('null-terminated',):
            if m.altlen is None and not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', m.len[0]):
                return f'length expression {m.len[0]} for {m.name}'
        return None

    # Unions a structure member selects a member of by another member's value (selector="type" on the member,
    # selection="VK_..." on the union's members): only the selected member travels, so pointers and handles in
    # them are fine. A union also used without a selector stays a union of plain values or is not forwardable.
    selected, unselected = set(), set()
    for owner in model.structs.values():
        for m in owner.members:
            t = resolve(model, m.type)
            if t in model.structs and model.structs[t].is_union:
                (selected if m.selector and not owner.is_union else unselected).add(t)
    for c in model.commands.values():
        for p in c.params:
            t = resolve(model, p.type)
            if t in model.structs and model.structs[t].is_union:
                unselected.add(t)
    for name in selected - unselected:
        model.structs[name].selected = True

    changed = True
    for s in model.structs.values():
        if s.name in config.get('unforwardable_structs', {}):
            s.forwardable = False
            s.why_not = config['unforwardable_structs'][s.name]
            continue
        if not s.is_union and any(m.bitfield for m in s.members):
            # Bitfields (VkAccelerationStructureInstanceKHR) have a layout the GPU reads: a struct of only values
            # travels as its bytes.
            if all(not m.ptr and type_kind(model, m.type) in ('scalar', 'enum', 'bitmask') or
                   (type_kind(model, m.type) == 'struct' and is_plain(model, m.type)) for m in s.members):
                s.raw_bytes = True
                continue
        if s.is_union and s.selected:
            for m in s.members:
                p = member_problem(m, s)
                if p is None and (not m.selection or (m.ptr >= 1 and m.len)):
                    p = f'member {m.name} has no selection value or is an array'
                if p:
                    s.forwardable = False
                    s.why_not = p
                    break
            continue
        if s.is_union and s.name not in address_unions:
            if not is_plain(model, s.name):
                s.forwardable = False
                s.why_not = 'union holds pointers or handles'
            continue
        if s.is_union:
            continue
        if any(m.name == 'sType' for m in s.members) and not s.stype:
            s.forwardable = False
            s.why_not = 'generic base structure'
            continue
        for m in s.members:
            p = member_problem(m, s)
            if p:
                s.forwardable = False
                s.why_not = p
                break
    while changed:
        changed = False
        for s in model.structs.values():
            if not s.forwardable:
                continue
            for m in s.members:
                t = resolve(model, m.type)
                if t in model.structs and not model.structs[t].forwardable:
                    s.forwardable = False
                    s.why_not = f'member {m.name} of type {t}: {model.structs[t].why_not}'
                    changed = True
                    break
    for c in model.commands.values():
        for p in c.params:
            if p.name == 'pAllocator':
                continue
            t = resolve(model, p.type)
            prob = member_problem(p, None, c.name)
            if prob and not (p.type == 'void' and p.ptr == 1 and p.len):
                c.forwardable = False
                c.why_not = prob
                break
            if t in model.structs and not model.structs[t].forwardable:
                c.forwardable = False
                c.why_not = f'parameter {p.name}: {model.structs[t].why_not}'
                break
