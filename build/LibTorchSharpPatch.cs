// Makes TorchSharp's native glue (libLibTorchSharp.so) load on systems whose libstdc++ predates GCC 13.
//
// The glue is built with GCC 13 and so records a hard requirement on the symbol version GLIBCXX_3.4.32,
// which Debian 12 (GCC 12) lacks. The only symbol of that version it uses is std::ios_base_library_init(),
// which GCC 13's <iostream> references only to pin the library version; nothing calls it. Setting the
// VER_FLG_WEAK bit on that one version-requirement entry turns the load-time failure into nothing at all.
//
// This file is compiled twice: by MSBuild as an inline task (Directory.Build.targets) and by the unit tests,
// which define TESSERA_PATCHER_TESTS to leave the MSBuild task class out.
using System;
using System.IO;
using System.Text;

namespace Tessera.Build
{
    public enum PatchOutcome
    {
        Patched,
        AlreadyWeak,
    }

    public static class GlibcxxWeakener
    {
        public const string VersionName = "GLIBCXX_3.4.32";
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on the GLIBCXX_3.4.32 entry of the file, in place. Throws when the
        /// file is not the kind of ELF file expected, without writing anything.</summary>
        public static PatchOutcome Patch(string path)
        {
            long flagsOffset = FindFlagsOffset(path, out ushort flags);
            if ((flags & VerFlgWeak) != 0)
            {
                return PatchOutcome.AlreadyWeak;
            }

            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                ushort weak = (ushort)(flags | VerFlgWeak);
                stream.Position = flagsOffset;
                stream.WriteByte((byte)(weak & 0xff));
                stream.WriteByte((byte)(weak >> 8));
            }

            return PatchOutcome.Patched;
        }

        /// <summary>Byte offset of the vna_flags field of the GLIBCXX_3.4.32 Vernaux entry, and its value.</summary>
        public static long FindFlagsOffset(string path, out ushort flags)
        {
            byte[] elf = File.ReadAllBytes(path);
            string Fail(string what) => $"{path}: {what}. This file is not the TorchSharp glue library the build knows how to patch " +
                "(TorchSharp 0.107 built with GCC 13). If TorchSharp was upgraded, check whether it still needs GLIBCXX_3.4.32 " +
                "and update build/LibTorchSharpPatch.cs.";

            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            {
                throw new InvalidDataException(Fail("no ELF magic number"));
            }
            if (elf[4] != 2 || elf[5] != 1)
            {
                throw new InvalidDataException(Fail("not a 64-bit little-endian ELF file"));
            }

            ulong shoff = U64(elf, 0x28, Fail);
            ushort shentsize = U16(elf, 0x3a, Fail);
            ushort shnum = U16(elf, 0x3c, Fail);
            if (shentsize != 64 || shnum == 0)
            {
                throw new InvalidDataException(Fail("unexpected section header table"));
            }

            for (int i = 0; i < shnum; i++)
            {
                long sh = Checked(shoff + (ulong)i * 64, 64, elf.Length, Fail);
                if (U32(elf, sh + 4, Fail) != ShtGnuVerneed)
                {
                    continue;
                }

                long verneedStart = Checked(U64(elf, sh + 24, Fail), 16, elf.Length, Fail);
                uint strtabIndex = U32(elf, sh + 40, Fail);
                uint verneedCount = U32(elf, sh + 44, Fail);
                long strtabHeader = Checked(shoff + (ulong)strtabIndex * 64, 64, elf.Length, Fail);
                long strtab = Checked(U64(elf, strtabHeader + 24, Fail), 1, elf.Length, Fail);

                long need = verneedStart;
                for (uint n = 0; n < verneedCount; n++)
                {
                    ushort auxCount = U16(elf, need + 2, Fail);
                    long aux = need + U32(elf, need + 8, Fail);
                    for (int a = 0; a < auxCount; a++)
                    {
                        Checked((ulong)aux, 16, elf.Length, Fail);
                        string name = CString(elf, strtab + U32(elf, aux + 8, Fail), Fail);
                        if (name == VersionName)
                        {
                            flags = U16(elf, aux + 4, Fail);
                            return aux + 4;
                        }
                        aux += U32(elf, aux + 12, Fail);
                    }
                    need += U32(elf, need + 12, Fail);
                }

                throw new InvalidDataException(Fail($"no version requirement named {VersionName}"));
            }

            throw new InvalidDataException(Fail("no .gnu.version_r section"));
        }

        /// <summary>True when the system C++ runtime already provides GLIBCXX_3.4.32, so no patch is needed.</summary>
        public static bool SystemLibStdCxxHasVersion()
        {
            string[] candidates =
            {
                "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
            };
            byte[] needle = Encoding.ASCII.GetBytes(VersionName + "\0");
            foreach (string candidate in candidates)
            {
                if (File.Exists(candidate))
                {
                    return Contains(File.ReadAllBytes(candidate), needle);
                }
            }
            return false;
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            // Compiled for netstandard by MSBuild's inline-task factory, so no span search here.
            for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length;
                 i = Array.IndexOf(haystack, needle[0], i + 1))
            {
                int k = 1;
                while (k < needle.Length && haystack[i + k] == needle[k])
                {
                    k++;
                }
                if (k == needle.Length)
                {
                    return true;
                }
            }
            return false;
        }

        private static long Checked(ulong offset, int length, int fileLength, Func<string, string> fail)
        {
            if (offset > (ulong)fileLength || (ulong)fileLength - offset < (ulong)length)
            {
                throw new InvalidDataException(fail($"offset {offset} lies outside the file"));
            }
            return (long)offset;
        }

        private static ushort U16(byte[] b, long at, Func<string, string> fail)
        {
            Checked((ulong)at, 2, b.Length, fail);
            return (ushort)(b[at] | (b[at + 1] << 8));
        }

        private static uint U32(byte[] b, long at, Func<string, string> fail)
        {
            Checked((ulong)at, 4, b.Length, fail);
            return BitConverter.ToUInt32(b, (int)at);
        }

        private static ulong U64(byte[] b, long at, Func<string, string> fail)
        {
            Checked((ulong)at, 8, b.Length, fail);
            return BitConverter.ToUInt64(b, (int)at);
        }

        private static string CString(byte[] b, long at, Func<string, string> fail)
        {
            Checked((ulong)at, 1, b.Length, fail);
            int end = Array.IndexOf(b, (byte)0, (int)at);
            if (end < 0)
            {
                throw new InvalidDataException(fail("unterminated string in .dynstr"));
            }
            return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
        }
    }

#if !TESSERA_PATCHER_TESTS
    /// <summary>MSBuild entry point: patches the glue when the system libstdc++ needs it.</summary>
    public class WeakenGlibcxxRequirement : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string LibraryPath { get; set; } = "";

        public override bool Execute()
        {
            if (GlibcxxWeakener.SystemLibStdCxxHasVersion())
            {
                return true;
            }
            try
            {
                if (GlibcxxWeakener.Patch(LibraryPath) == PatchOutcome.Patched)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        $"Tessera: weakened the {GlibcxxWeakener.VersionName} requirement of {LibraryPath} (see README).");
                }
                return true;
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogError(e.Message);
                return false;
            }
        }
    }
#endif
}
