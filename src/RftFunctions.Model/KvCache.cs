using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated to a fixed capacity so a decode step
/// writes in place instead of concatenating (which would copy the whole cache every token). Its tensors live
/// outside any per-step dispose scope; dispose the cache when the generation ends.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    internal KvCache(ModelConfig c, long batch, long capacity, Device device, ScalarType dtype)
    {
        Capacity = capacity;
        _keys = new Tensor[c.NumHiddenLayers];
        _values = new Tensor[c.NumHiddenLayers];
        var layers = new LayerCache[c.NumHiddenLayers];
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            _keys[i] = zeros([batch, c.NumKeyValueHeads, capacity, c.HeadDim], dtype: dtype, device: device).DetachFromDisposeScope();
            _values[i] = zeros([batch, c.NumKeyValueHeads, capacity, c.HeadDim], dtype: dtype, device: device).DetachFromDisposeScope();
            layers[i] = new LayerCache(this, _keys[i], _values[i]);
        }
        Layers = layers;
    }

    /// <summary>Tokens cached so far (the same for every row; padding is masked, not skipped).</summary>
    public long Length { get; private set; }

    /// <summary>Most tokens the cache can hold.</summary>
    public long Capacity { get; }

    /// <summary>Per-layer views used by the attention blocks.</summary>
    public IReadOnlyList<LayerCache> Layers { get; }

    internal void Advance(long tokens) => Length += tokens;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }

    /// <summary>One layer's slice of the cache.</summary>
    public sealed class LayerCache
    {
        private readonly KvCache _owner;
        private readonly Tensor _k;
        private readonly Tensor _v;

        internal LayerCache(KvCache owner, Tensor k, Tensor v)
        {
            _owner = owner;
            _k = k;
            _v = v;
        }

        /// <summary>Writes the new keys/values [B, kv_heads, T, D] after the cached ones; returns views of all of them.</summary>
        public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
        {
            var start = _owner.Length;
            var t = k.shape[2];
            _k.narrow(2, start, t).copy_(k);
            _v.narrow(2, start, t).copy_(v);
            return (_k.narrow(2, 0, start + t), _v.narrow(2, 0, start + t));
        }
    }
}
