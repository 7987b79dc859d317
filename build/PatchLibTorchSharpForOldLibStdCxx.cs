using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Makes libLibTorchSharp.so loadable on a libstdc++ older than GCC 13 (see docs/torchsharp-native-fix.md).
// Three in-place edits of the ELF file, no tool needed:
//   1. the GLIBCXX_3.4.32 version requirement is flagged weak, so the loader no longer refuses the library;
//   2. the one symbol carrying that version, _ZSt21ios_base_library_initv, loses its version;
//   3. its name is replaced by _ZSt15get_new_handlerv, a side-effect-free libstdc++ function that every
//      libstdc++ since GCC 4.9 exports. GCC 13 calls ios_base_library_init() from static initialisers only to
//      make sure std::cout and friends are constructed; with GCC 12's libstdc++ that is already done by the
//      std::ios_base::Init objects of libtorch (loaded first), so a harmless call in its place is enough.
public sealed class PatchLibTorchSharpForOldLibStdCxx : Task
{
    private const string MissingSymbol = "_ZSt21ios_base_library_initv";
    private const string StandInSymbol = "_ZSt15get_new_handlerv";
    private const string MissingVersion = "GLIBCXX_3.4.32";

    [Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        var libraries = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;
        if (SystemLibStdCxxHas(MissingVersion))
        {
            Log.LogMessage(MessageImportance.Low, "System libstdc++ provides " + MissingVersion + "; TorchSharp needs no patch.");
            return true;
        }
        foreach (var library in libraries)
        {
            try
            {
                var outcome = Patch(library);
                Log.LogMessage(MessageImportance.Normal, "TorchSharp native fix: " + library + ": " + outcome);
            }
            catch (Exception e)
            {
                Log.LogError("TorchSharp native fix failed for " + library + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        var path = candidates.FirstOrDefault(File.Exists);
        if (path == null) return true; // not a glibc system we know: leave the library alone
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        var haystack = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int k = 0;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }

    private static string Patch(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        // The task compiles against netstandard2.0 (no BinaryPrimitives); ELF here is little-endian like the host.
        ulong U64(long o) => BitConverter.ToUInt64(b, (int)o);
        uint U32(long o) => BitConverter.ToUInt32(b, (int)o);
        ushort U16(long o) => BitConverter.ToUInt16(b, (int)o);
        void W16(long o, ushort v) => BitConverter.GetBytes(v).CopyTo(b, (int)o);
        string Str(long o)
        {
            var end = (int)o;
            while (b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
        }

        // Section headers: offset, size, link, type.
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        var sections = Enumerable.Range(0, shnum).Select(i =>
        {
            long h = shoff + (long)i * shentsize;
            return (Off: (long)U64(h + 0x18), Size: (long)U64(h + 0x20), Link: (int)U32(h + 0x28), Type: U32(h + 4));
        }).ToArray();
        const uint ShtDynSym = 11, ShtGnuVerSym = 0x6fffffff, ShtGnuVerNeed = 0x6ffffffe;
        var dynsym = sections.First(s => s.Type == ShtDynSym);
        var dynstr = sections[dynsym.Link];
        var versym = sections.First(s => s.Type == ShtGnuVerSym);
        var verneed = sections.First(s => s.Type == ShtGnuVerNeed);

        const int SymSize = 24;
        int count = (int)(dynsym.Size / SymSize), symbol = -1;
        for (int i = 0; i < count; i++)
            if (Str(dynstr.Off + U32(dynsym.Off + (long)i * SymSize)) == MissingSymbol) symbol = i;
        if (symbol < 0) return "already patched (or built without " + MissingVersion + ")";

        // The name is overwritten in place, so no other symbol may share its bytes (string-table tail merging).
        uint nameOffset = U32(dynsym.Off + (long)symbol * SymSize);
        for (int i = 0; i < count; i++)
        {
            uint other = U32(dynsym.Off + (long)i * SymSize);
            if (i != symbol && other > nameOffset && other <= nameOffset + MissingSymbol.Length)
                throw new InvalidDataException("the symbol name shares bytes with another symbol");
        }

        ushort versionIndex = (ushort)(U16(versym.Off + (long)symbol * 2) & 0x7fff);
        // The fix stands in for exactly one GCC 13 function; any other symbol of that version would fail at run time.
        for (int i = 0; i < count; i++)
        {
            if (i != symbol && (U16(versym.Off + (long)i * 2) & 0x7fff) == versionIndex)
                throw new InvalidDataException("another symbol also needs " + MissingVersion + ": " + Str(dynstr.Off + U32(dynsym.Off + (long)i * SymSize)));
        }
        const ushort VerFlgWeak = 2;
        bool weakened = false;
        long need = verneed.Off;
        while (true)
        {
            long aux = need + U32(need + 8);
            for (int k = 0; k < U16(need + 2); k++)
            {
                if (U16(aux + 6) == versionIndex && Str(dynstr.Off + U32(aux + 8)) == MissingVersion)
                {
                    W16(aux + 4, (ushort)(U16(aux + 4) | VerFlgWeak));
                    weakened = true;
                }
                aux += U32(aux + 12);
            }
            if (U32(need + 12) == 0) break;
            need += U32(need + 12);
        }
        if (!weakened) throw new InvalidDataException("no " + MissingVersion + " requirement found for " + MissingSymbol);

        const ushort VerNdxGlobal = 1;
        W16(versym.Off + (long)symbol * 2, VerNdxGlobal);
        var name = new byte[MissingSymbol.Length];
        Encoding.ASCII.GetBytes(StandInSymbol).CopyTo(name, 0);
        name.CopyTo(b, dynstr.Off + nameOffset);

        // Write a new file and move it over the old one: the output copy may be a hard link into the NuGet cache,
        // which must stay untouched.
        var temporary = path + ".patching";
        File.WriteAllBytes(temporary, b);
        File.Delete(path);
        File.Move(temporary, path);
        return "patched";
    }
}
