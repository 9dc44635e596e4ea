using DluxShera.Contracts;
using DluxShera.Numpy;
using Xunit;

namespace DluxShera.Tests;

/// <summary>Both directions checked against numpy itself.</summary>
public class NumpyInteropTests
{
    [SkippableFact]
    public void Our_npy_bytes_equal_np_save_for_every_dtype_and_shape()
    {
        using var tmp = RepoPaths.Temp();
        var cases = new List<(string Name, NdArray Array, string Python)>();
        int k = 0;
        foreach (var dtype in Enum.GetValues<NpyDtype>())
        {
            foreach (var shape in new[] { Array.Empty<int>(), [0], [7], [3, 4], [2, 3, 5] })
            {
                var a = NpyRoundTripTests.Sample(dtype, shape);
                string name = $"c{k++}";
                NpyFile.Save(tmp.Combine(name + ".ours.npy"), a);
                cases.Add((name, a, NpyHeader.Descr(dtype)));
            }
        }
        // numpy re-saves what it loaded from our file; identical bytes mean identical header, padding and data.
        string script = $$"""
            import numpy as np, glob, io, sys
            bad = []
            for path in sorted(glob.glob('*.ours.npy')):
                a = np.load(path)
                buf = io.BytesIO(); np.save(buf, a)
                if buf.getvalue() != open(path, 'rb').read(): bad.append(path)
            print('checked', len(glob.glob('*.ours.npy')), 'mismatched', bad)
            """;
        string output = PythonNumpy.Run(script, tmp.Path);
        Assert.Contains($"checked {cases.Count} mismatched []", output);
    }

    [SkippableFact]
    public void Numpy_loads_our_npz_with_exact_values()
    {
        using var tmp = RepoPaths.Temp();
        var theta = Enumerable.Range(0, 12).Select(i => Math.PI * i - 1e-300 * i).ToArray();
        foreach (bool compressed in new[] { false, true })
        {
            NpzFile.Save(tmp.Combine(compressed ? "c.npz" : "s.npz"), new Dictionary<string, NdArray>
            {
                ["theta"] = new(theta, 4, 3),
                ["accepted"] = new(new[] { true, false, true }, 3),
                ["step"] = NdArray.Scalar(42L),
                ["f32"] = new(new[] { 1.5f, -2.25f }, 2),
            }, compressed);
        }
        string script = """
            import numpy as np, math
            for f in ['s.npz', 'c.npz']:
                z = np.load(f)
                t = z['theta']
                assert t.shape == (4, 3) and t.dtype == np.float64, (t.shape, t.dtype)
                for i in range(12):
                    assert t.flat[i] == math.pi * i - 1e-300 * i
                assert z['accepted'].dtype == np.bool_ and z['accepted'].tolist() == [True, False, True]
                assert z['step'].shape == () and int(z['step']) == 42 and z['step'].dtype == np.int64
                assert z['f32'].dtype == np.float32 and z['f32'].tolist() == [1.5, -2.25]
            import zipfile
            kinds = {i.compress_type for i in zipfile.ZipFile('s.npz').infolist()}
            assert kinds == {zipfile.ZIP_STORED}, kinds
            kinds = {i.compress_type for i in zipfile.ZipFile('c.npz').infolist()}
            assert kinds == {zipfile.ZIP_DEFLATED}, kinds
            print('ok')
            """;
        Assert.Equal("ok", PythonNumpy.Run(script, tmp.Path).Trim());
    }

    [SkippableFact]
    public void We_load_np_savez_and_savez_compressed_including_fortran_order()
    {
        using var tmp = RepoPaths.Temp();
        string script = """
            import numpy as np
            a = np.arange(24, dtype='<f8').reshape(2, 3, 4) / 7.0
            f = np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3))
            np.savez('plain.npz', a=a, f=f, b=np.array([True, False]), u=np.arange(5, dtype=np.uint8), s=np.float64(2.5), i=np.arange(3, dtype='<i8'), h=np.ones(2, dtype='<f4'))
            np.savez_compressed('packed.npz', a=a, f=f)
            np.save('big.npy', np.arange(3 * (70000 // 3), dtype='<f8').reshape(3, -1) / 3.0, allow_pickle=False)
            np.lib.format.write_array(open('v2.npy', 'wb'), a, version=(2, 0))
            print('ok')
            """;
        PythonNumpy.Run(script, tmp.Path);
        foreach (string file in new[] { "plain.npz", "packed.npz" })
        {
            var z = NpzFile.Load(tmp.Combine(file));
            var a = z["a"];
            Assert.Equal([2, 3, 4], a.Shape);
            Assert.Equal(23 / 7.0, ((double[])a.Data)[23]);
            var f = z["f"];
            Assert.Equal(NpyDtype.Int32, f.Dtype);
            Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, (int[])f.Data); // Fortran order converted to C order
        }
        var plain = NpzFile.Load(tmp.Combine("plain.npz"));
        Assert.Equal(new[] { true, false }, (bool[])plain["b"].Data);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, (byte[])plain["u"].Data);
        Assert.Empty(plain["s"].Shape);
        Assert.Equal(2.5, ((double[])plain["s"].Data)[0]);
        Assert.Equal(NpyDtype.Int64, plain["i"].Dtype);
        Assert.Equal(NpyDtype.Float32, plain["h"].Dtype);
        Assert.Equal([2, 3, 4], NpyFile.Load(tmp.Combine("v2.npy")).Shape);
        var big = NpyFile.Load(tmp.Combine("big.npy"));
        Assert.Equal([3, 70000 / 3], big.Shape);
        var values = (double[])big.Data;
        for (int i = 0; i < values.Length; i++) Assert.Equal(i / 3.0, values[i]);
    }

    [SkippableFact]
    public void Layout_hash_equals_pythons_sha256_of_the_compact_json()
    {
        var map = new IndexMap([
            new IndexMapEntry("binary.x_position_as", 0, 1, [1], "astrometry"),
            new IndexMapEntry("primary.zernike_coeffs_nm", 1, 9, [8], "primary.zernikes"),
            new IndexMapEntry("odd \"name\" µ\\é", 9, 15, [2, 3]),
        ]);
        string script = """
            import hashlib, json
            pairs = [["binary.x_position_as", [1]], ["primary.zernike_coeffs_nm", [8]], ["odd \"name\" \u00b5\\\u00e9", [2, 3]]]
            s = json.dumps(pairs, separators=(",", ":"))
            print(s)
            print(hashlib.sha256(s.encode()).hexdigest())
            """;
        var lines = PythonNumpy.Run(script).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[0], IndexMap.LayoutJson(map.Entries));
        Assert.Equal(lines[1], map.LayoutHash);
        Assert.StartsWith("[[\"binary.x_position_as\",[1]],[\"primary.zernike_coeffs_nm\",[8]]", lines[0]);
    }
}
