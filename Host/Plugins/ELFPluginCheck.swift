import Foundation
import StrategySDK
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the pre-load check learned about a plugin file.
struct ELFFileFacts: Sendable, Hashable {
    var fileSize: Int
    /// FNV-1a 64 of the whole file, 16 lowercase hex digits.
    var fingerprint: String
    /// The Swift compiler a Swift plugin was built with (`SwiftToolchain.marker`), nil for C plugins.
    var swiftCompiler: String? = nil
}

/// Validates a plugin file from its bytes alone, before `dlopen`, so no code of a bad file runs.
///
/// Checks: a readable regular file; ELF magic; class, byte order and machine of this host;
/// `ET_DYN`; program and section header tables and every section inside the file; and a defined
/// `tsh_plugin_entry` function in `.dynsym`. Every read is bounds-checked: a corrupt or hostile
/// file produces an error, never a crash.
enum ELFPluginCheck {
    /// Files larger than this are refused rather than read into memory.
    static let maximumFileSize = 1 << 30
    static let entrySymbol = "tsh_plugin_entry"

    static func validate(path: String) throws(PluginLoadError) -> ELFFileFacts {
        let (buffer, count) = try readFile(path)
        defer { buffer.deallocate() }
        return try validate(raw: UnsafeRawBufferPointer(rebasing: buffer[0..<count]), path: path)
    }

    /// Checks a file's contents; `path` only names it in errors.
    static func validate(bytes: [UInt8], path: String) throws(PluginLoadError) -> ELFFileFacts {
        // `withUnsafeBytes` only rethrows untyped errors, so the typed result is carried out in a Result.
        try bytes.withUnsafeBytes { raw in
            Result { () throws(PluginLoadError) -> ELFFileFacts in try validate(raw: raw, path: path) }
        }.get()
    }

    private static func validate(raw: UnsafeRawBufferPointer, path: String) throws(PluginLoadError) -> ELFFileFacts {
        try check(ELFBytes(raw), path: path)
        let facts = ELFFileFacts(fileSize: raw.count, fingerprint: fnv1a64Hex(raw), swiftCompiler: swiftCompilerMarker(raw))
        if let theirs = facts.swiftCompiler, theirs != SwiftToolchain.compilerVersion {
            throw swiftMismatch(plugin: theirs, path: path)
        }
        return facts
    }

    // MARK: - Swift toolchain

    /// The version after the first `SwiftToolchain.markerPrefix` that carries one in the file (the StrategySDK the
    /// plugin was built with put it there), or nil when there is none (C plugins, older SDKs).
    static func swiftCompilerMarker(_ raw: UnsafeRawBufferPointer) -> String? {
        let prefix = Array(SwiftToolchain.markerPrefix.utf8)
        guard let base = raw.baseAddress, let last = prefix.last, raw.count > prefix.count else { return nil }
        // libc's (vectorised) memchr for the prefix's last byte — '=', rare in a binary — then the
        // whole prefix, instead of a Swift loop over every byte.
        var from = prefix.count - 1
        while from < raw.count, let hit = memchr(base + from, Int32(last), raw.count - from) {
            let end = base.distance(to: UnsafeRawPointer(hit)) + 1
            from = end
            guard prefix.withUnsafeBytes({ memcmp(base + end - prefix.count, $0.baseAddress!, prefix.count) }) == 0 else { continue }
            var stop = end
            while stop < raw.count, stop - end < 32, raw[stop] != 0 { stop += 1 }
            // The SDK's `markerPrefix` constant is in the file too, followed by NUL: skip it.
            if stop > end { return String(decoding: UnsafeRawBufferPointer(rebasing: raw[end..<stop]), as: UTF8.self) }
        }
        return nil
    }

    /// A Swift plugin built by another compiler than the host's: it would run on the host's
    /// Swift runtime, which it was not built for.
    static func swiftMismatch(plugin: String, path: String) -> PluginLoadError {
        let host = SwiftToolchain.compilerVersion
        return PluginLoadError(
            .swiftRuntimeMismatch, path: path,
            message: "it was built with Swift \(plugin), this host with Swift \(host); a Swift plugin runs on the host's Swift runtime, so both must come from the same toolchain",
            fix: "rebuild the plugin with Swift \(host) (`swift --version` must say \(host)), or use a host built with Swift \(plugin); C plugins have no such requirement")
    }

    // MARK: - Reading the file

    /// The file's bytes: the first `count` of a buffer the caller deallocates.
    private static func readFile(_ path: String) throws(PluginLoadError) -> (buffer: UnsafeMutableRawBufferPointer, count: Int) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT || errno == ENOTDIR {
                throw PluginLoadError(.notFound, path: path, message: "the file does not exist", searched: [path],
                                      fix: "check the path, or pass a plugin name and let the host search for it")
            }
            throw PluginLoadError(.notAFile, path: path, message: "cannot read it: \(reason)",
                                  fix: "check that the file exists and that the host may read it")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            if info.st_mode & S_IFMT == S_IFDIR { throw PluginLocator.directoryError(path) }
            throw PluginLoadError(.notAFile, path: path, message: "it is not a regular file",
                                  fix: "pass the path of the plugin's .so file")
        }
        guard Int(info.st_size) <= maximumFileSize else {
            throw PluginLoadError(.notSharedObject, path: path,
                                  message: "it is \(info.st_size) bytes, larger than any plugin the host accepts (\(maximumFileSize) bytes)",
                                  fix: "pass the path of the plugin's .so file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PluginLoadError(.notAFile, path: path, message: "cannot open it for reading: \(String(cString: strerror(errno)))",
                                  fix: "give the host read permission on the file (chmod a+r)")
        }
        defer { close(fd) }
        // Read straight into one buffer of the file's size (not `Data`, then a copy into an array).
        // Not mapped: a file rewritten while mapped would crash the host with SIGBUS. A file that
        // grew since `stat` is read to its end; one that shrank is validated as read.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(info.st_size) + 1, 4_096), alignment: 16)  // + 1: EOF is seen without growing
        var count = 0
        while true {
            if count == buffer.count {
                guard count < maximumFileSize else {
                    buffer.deallocate()
                    throw PluginLoadError(.notSharedObject, path: path, message: "it grew past \(maximumFileSize) bytes while being read",
                                          fix: "pass the path of the plugin's .so file")
                }
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = bigger
            }
            let n = read(fd, buffer.baseAddress! + count, buffer.count - count)
            if n > 0 { count += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            buffer.deallocate()
            throw PluginLoadError(.notAFile, path: path, message: "reading it failed: \(reason)",
                                  fix: "check that the file is readable and not on a failing disk")
        }
        return (buffer, count)
    }

    // MARK: - ELF structure

    private static let sharedLibraryFix = "build the plugin as a shared library (cc -shared -fPIC ..., or a SwiftPM .library(type: .dynamic)) for this host"

    private static func check(_ elf: ELFBytes, path: String) throws(PluginLoadError) {
        func truncated(_ detail: String) -> PluginLoadError {
            PluginLoadError(.truncated, path: path, message: "the file is truncated or corrupt: \(detail)",
                            fix: "rebuild the plugin or copy it again; this file is incomplete or damaged")
        }
        let size = elf.count
        let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
        let prefix = (0..<min(4, size)).map { elf.u8($0)! }
        guard prefix == Array(magic.prefix(prefix.count)), size > 0 else {
            throw PluginLoadError(.notSharedObject, path: path, message: "not a shared object: \(describeNonELF(elf))",
                                  fix: sharedLibraryFix)
        }
        guard size >= 64 else { throw truncated("\(size) bytes is shorter than an ELF header (64 bytes)") }

        let elfClass = elf.u8(4)!, data = elf.u8(5)!
        guard elfClass == 1 || elfClass == 2, data == 1 || data == 2, elf.u8(6)! == 1 else {
            throw truncated("invalid ELF identification (class \(elfClass), data \(data), version \(elf.u8(6)!))")
        }
        let machine = data == 1 ? elf.u16(18)! : elf.u16(18)!.byteSwapped
        let hostClass: UInt8 = MemoryLayout<Int>.size == 8 ? 2 : 1
        if elfClass != hostClass || data != 1 || machine != hostMachine {
            let bits = elfClass == 2 ? "64-bit" : "32-bit"
            let endian = data == 1 ? "little-endian" : "big-endian"
            throw PluginLoadError(
                .wrongArchitecture, path: path,
                message: "built for \(machineName(machine)) (\(bits), \(endian)); this host runs \(machineName(hostMachine)) (64-bit, little-endian)",
                fix: "rebuild the plugin for \(machineName(hostMachine)) Linux")
        }

        switch elf.u16(16)! {
        case 3: break
        case 1: throw PluginLoadError(.notSharedObject, path: path, message: "not a shared object: it is a relocatable object file (.o)",
                                      fix: "link it into a shared library: cc -shared -fPIC -o libname.so file.o")
        case 2: throw PluginLoadError(.notSharedObject, path: path, message: "not a shared object: it is an executable program",
                                      fix: sharedLibraryFix)
        case 4: throw PluginLoadError(.notSharedObject, path: path, message: "not a shared object: it is a core dump",
                                      fix: sharedLibraryFix)
        case let other: throw truncated("unknown ELF file type \(other)")
        }

        // Program headers: every loaded segment must be inside the file.
        let phoff = elf.u64(32)!, phentsize = UInt64(elf.u16(54)!), phnum = UInt64(elf.u16(56)!)
        if phnum > 0 {
            guard phentsize == 56 else { throw truncated("program header entries are \(phentsize) bytes, expected 56") }
            guard elf.contains(offset: phoff, length: phnum * 56) else {
                throw truncated("the program header table (\(phnum) entries at offset \(phoff)) lies beyond the end of the file (\(size) bytes)")
            }
        }
        var hasDynamic = false, hasInterpreter = false
        for i in 0..<phnum {
            let at = Int(phoff + i * 56)
            let type = elf.u32(at)!, offset = elf.u64(at + 8)!, fileSize = elf.u64(at + 32)!
            if type == 2 { hasDynamic = true }   // PT_DYNAMIC
            if type == 3 { hasInterpreter = true } // PT_INTERP
            if type == 1 || type == 2, !elf.contains(offset: offset, length: fileSize) { // PT_LOAD, PT_DYNAMIC
                throw truncated("segment \(i) (\(fileSize) bytes at offset \(offset)) lies beyond the end of the file (\(size) bytes)")
            }
        }
        guard hasDynamic else {
            throw PluginLoadError(.notSharedObject, path: path, message: "not a shared object: it has no dynamic section (a static executable?)",
                                  fix: sharedLibraryFix)
        }

        // Section headers: the table and every section with file contents must be inside the file.
        let shoff = elf.u64(40)!, shentsize = UInt64(elf.u16(58)!)
        var shnum = UInt64(elf.u16(60)!)
        guard shoff != 0 else {
            throw PluginLoadError(.notAPlugin, path: path,
                                  message: "not a plugin: it has no section header table, so its exported symbols cannot be checked before loading",
                                  fix: "do not strip the section headers (sstrip); plain `strip` is fine")
        }
        guard shentsize == 64 else { throw truncated("section header entries are \(shentsize) bytes, expected 64") }
        guard elf.contains(offset: shoff, length: 64) else {
            throw truncated("the section header table (at offset \(shoff)) lies beyond the end of the file (\(size) bytes)")
        }
        if shnum == 0 { shnum = elf.u64(Int(shoff) + 32)! } // SHN_LORESERVE extension: count in section 0's sh_size
        guard shnum <= UInt64(size) / 64, elf.contains(offset: shoff, length: shnum * 64) else {
            throw truncated("the section header table (\(shnum) entries at offset \(shoff)) lies beyond the end of the file (\(size) bytes)")
        }
        var sections: [ELFSection] = []
        for i in 0..<shnum {
            let at = Int(shoff + i * 64)
            let section = ELFSection(type: elf.u32(at + 4)!, offset: elf.u64(at + 24)!, size: elf.u64(at + 32)!,
                                     link: elf.u32(at + 40)!, entrySize: elf.u64(at + 56)!)
            if section.type != 0, section.type != 8, !elf.contains(offset: section.offset, length: section.size) { // SHT_NULL, SHT_NOBITS
                throw truncated("section \(i) (\(section.size) bytes at offset \(section.offset)) lies beyond the end of the file (\(size) bytes)")
            }
            sections.append(section)
        }

        // The exported entry: a defined function symbol in .dynsym.
        let looksLikeProgram = hasInterpreter ? " (it has a program interpreter: it looks like an executable, not a plugin)" : ""
        let notAPlugin = PluginLoadError(
            .notAPlugin, path: path,
            message: "not a plugin: no \(entrySymbol) symbol (export it with TSH_EXPORT const tsh_manifest *\(entrySymbol)(void))\(looksLikeProgram)",
            fix: "define and export `TSH_EXPORT const tsh_manifest *\(entrySymbol)(void)` (in Swift: @_cdecl(\"\(entrySymbol)\")), then rebuild")
        guard let dynsym = sections.first(where: { $0.type == 11 }) else { throw notAPlugin } // SHT_DYNSYM
        guard dynsym.entrySize == 24 else { throw truncated(".dynsym entries are \(dynsym.entrySize) bytes, expected 24") }
        guard Int(dynsym.link) < sections.count, sections[Int(dynsym.link)].type == 3 else { // SHT_STRTAB
            throw truncated(".dynsym links to section \(dynsym.link), which is not a string table")
        }
        let strings = sections[Int(dynsym.link)]
        let wanted = Array(entrySymbol.utf8) + [0]
        for i in 0..<(dynsym.size / 24) {
            let at = dynsym.offset + i * 24
            let nameOffset = UInt64(elf.u32(Int(at))!)
            guard nameOffset < strings.size, elf.matches(wanted, at: strings.offset + nameOffset, limit: strings.offset + strings.size)
            else { continue }
            let info = elf.u8(Int(at) + 4)!, sectionIndex = elf.u16(Int(at) + 6)!
            guard sectionIndex != 0 else { // SHN_UNDEF
                throw PluginLoadError(.notAPlugin, path: path,
                                      message: "not a plugin: \(entrySymbol) is referenced but not defined in this library",
                                      fix: notAPlugin.fix)
            }
            let type = info & 0xF
            guard type == 2 || type == 10 else { // STT_FUNC, STT_GNU_IFUNC
                throw PluginLoadError(.notAPlugin, path: path,
                                      message: "not a plugin: \(entrySymbol) is exported but is not a function (symbol type \(type))",
                                      fix: notAPlugin.fix)
            }
            return
        }
        throw notAPlugin
    }

    // MARK: - Descriptions

    static var hostMachine: UInt16 {
        #if arch(x86_64)
        62
        #elseif arch(arm64)
        183
        #else
        0
        #endif
    }

    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: "x86 (i386)"
        case 8: "MIPS"
        case 20: "PowerPC"
        case 21: "PowerPC64"
        case 22: "S390"
        case 40: "ARM (32-bit)"
        case 62: "x86_64"
        case 183: "aarch64"
        case 243: "RISC-V"
        case 258: "LoongArch"
        default: "ELF machine \(machine)"
        }
    }

    /// A short phrase naming what a non-ELF file seems to be.
    private static func describeNonELF(_ bytes: ELFBytes) -> String {
        let head = (0..<min(bytes.count, 512)).map { bytes.u8($0)! }
        if head.isEmpty { return "the file is empty" }
        if head.starts(with: Array("!<arch>\n".utf8)) {
            return "it is a static library archive (.a); build a shared library instead"
        }
        if head.starts(with: [0xCF, 0xFA, 0xED, 0xFE]) || head.starts(with: [0xCE, 0xFA, 0xED, 0xFE]) || head.starts(with: [0xCA, 0xFE, 0xBA, 0xBE]) {
            return "it is a Mach-O (macOS) binary, not a Linux ELF library"
        }
        if head.starts(with: Array("MZ".utf8)) { return "it is a Windows (PE) binary, not a Linux ELF library" }
        if isText(head) {
            if head.starts(with: Array("#!".utf8)) { return "it is a text file (a script), not a compiled library" }
            if String(decoding: head, as: UTF8.self).contains("GNU ld script") {
                return "it is a text file (a linker script), not a compiled library"
            }
            return "it is a text file, not a compiled library"
        }
        return "it has no ELF header (it starts with bytes \(head.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")))"
    }

    /// Printable UTF-8 with ordinary whitespace, allowing a multi-byte character cut at the end.
    private static func isText(_ head: [UInt8]) -> Bool {
        guard !head.contains(where: { $0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains($0) || $0 == 0x7F }) else { return false }
        for cut in 0...min(3, head.count - 1) where String(validating: head.dropLast(cut), as: UTF8.self) != nil {
            return true
        }
        return false
    }

    static func fnv1a64Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

private struct ELFSection {
    var type: UInt32
    var offset: UInt64
    var size: UInt64
    var link: UInt32
    var entrySize: UInt64
}

/// Bounds-checked little-endian reads over a file's bytes; every accessor returns nil outside it.
private struct ELFBytes {
    let raw: UnsafeRawBufferPointer
    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var count: Int { raw.count }

    /// Whether `length` bytes at `offset` lie inside the file, without overflowing.
    func contains(offset: UInt64, length: UInt64) -> Bool {
        offset <= UInt64(count) && length <= UInt64(count) - offset
    }

    private func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T? {
        guard offset >= 0, contains(offset: UInt64(offset), length: UInt64(MemoryLayout<T>.size)), let base = raw.baseAddress else {
            return nil
        }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    func u8(_ offset: Int) -> UInt8? { load(offset, UInt8.self) }
    func u16(_ offset: Int) -> UInt16? { load(offset, UInt16.self) }
    func u32(_ offset: Int) -> UInt32? { load(offset, UInt32.self) }
    func u64(_ offset: Int) -> UInt64? { load(offset, UInt64.self) }

    /// Whether `expected` occurs at `offset` and ends before `limit`.
    func matches(_ expected: [UInt8], at offset: UInt64, limit: UInt64) -> Bool {
        guard contains(offset: offset, length: UInt64(expected.count)), offset + UInt64(expected.count) <= limit else { return false }
        for (i, byte) in expected.enumerated() where raw[Int(offset) + i] != byte { return false }
        return true
    }
}
