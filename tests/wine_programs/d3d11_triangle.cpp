// A small Direct3D 11 program for the Wine tests (DXVK on the Anarchy driver against native lavapipe): a 256x256
// window, HLSL compiled at run time by d3dcompiler_47, a fixed number of frames of three draws each (a constant
// buffer per draw, vertex colours times a checker texture), then the last frame's back buffer read back through a
// staging texture and written as a binary PPM. Everything is fixed (no timers), so the picture is the same in
// every run on the same driver.
//
//   d3d11_triangle.exe OUT.ppm [FRAMES [hold]]
//
// With "hold" it then prints the window's client origin on the screen and waits for the end of its standard input
// with the window still up, so a test can compare the window with the image.
#include <windows.h>
#include <d3d11.h>
#include <d3dcompiler.h>
#include <dxgi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr UINT kSize = 256;

// One vertex shader (rotation, scale, offset from the constant buffer) and one pixel shader (vertex colour times a
// point-sampled texture times a tint).
const char kShaders[] = R"(
cbuffer Draw : register(b0) {
    float4 rotation_scale;   // cos, sin, scale, unused
    float4 offset;           // x, y, unused, unused
    float4 tint;
};
struct VsIn { float2 pos : POSITION; float4 color : COLOR; float2 uv : TEXCOORD; };
struct VsOut { float4 pos : SV_Position; float4 color : COLOR; float2 uv : TEXCOORD; };
Texture2D checker : register(t0);
SamplerState point_sampler : register(s0);

VsOut vs_main(VsIn v) {
    VsOut o;
    float2 p = float2(v.pos.x * rotation_scale.x - v.pos.y * rotation_scale.y,
                      v.pos.x * rotation_scale.y + v.pos.y * rotation_scale.x);
    o.pos = float4(p * rotation_scale.z + offset.xy, 0.0, 1.0);
    o.color = v.color;
    o.uv = v.uv;
    return o;
}

float4 ps_main(VsOut i) : SV_Target {
    return i.color * checker.Sample(point_sampler, i.uv) * tint;
}
)";

struct Vertex {
    float x, y;
    float r, g, b, a;
    float u, v;
};

struct DrawConstants {
    float rotation_scale[4];
    float offset[4];
    float tint[4];
};

// Releases a COM pointer at scope exit.
template <typename T>
struct Com {
    T* p = nullptr;
    Com() = default;
    Com(Com&& o) noexcept : p(o.p) { o.p = nullptr; }
    Com(const Com&) = delete;
    Com& operator=(const Com&) = delete;
    ~Com() { if (p) p->Release(); }
    T* operator->() const { return p; }
    T** operator&() { return &p; }
    operator T*() const { return p; }
};

[[noreturn]] void fail(const char* what, HRESULT hr) {
    std::fprintf(stderr, "d3d11_triangle: %s failed (HRESULT 0x%08lx)\n", what, static_cast<unsigned long>(hr));
    std::exit(1);
}

void check(HRESULT hr, const char* what) {
    if (FAILED(hr)) fail(what, hr);
}

LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
    if (msg == WM_CLOSE) return 0;  // the program ends by itself after its frames
    return DefWindowProcA(hwnd, msg, wp, lp);
}

HWND create_window() {
    WNDCLASSA wc = {};
    wc.lpfnWndProc = window_proc;
    wc.hInstance = GetModuleHandleA(nullptr);
    wc.hCursor = LoadCursorA(nullptr, reinterpret_cast<LPCSTR>(IDC_ARROW));
    wc.lpszClassName = "anarchy_d3d11_triangle";
    if (!RegisterClassA(&wc)) fail("RegisterClass", HRESULT_FROM_WIN32(GetLastError()));
    RECT r = {0, 0, static_cast<LONG>(kSize), static_cast<LONG>(kSize)};
    DWORD style = WS_OVERLAPPED | WS_CAPTION | WS_SYSMENU;
    AdjustWindowRect(&r, style, FALSE);
    HWND hwnd = CreateWindowA(wc.lpszClassName, "Anarchy D3D11 triangle", style, 0, 0, r.right - r.left,
                              r.bottom - r.top, nullptr, nullptr, wc.hInstance, nullptr);
    if (!hwnd) fail("CreateWindow", HRESULT_FROM_WIN32(GetLastError()));
    ShowWindow(hwnd, SW_SHOW);
    return hwnd;
}

void pump_messages() {
    MSG msg;
    while (PeekMessageA(&msg, nullptr, 0, 0, PM_REMOVE)) {
        TranslateMessage(&msg);
        DispatchMessageA(&msg);
    }
}

using D3DCompileFn = decltype(&D3DCompile);

// Compiles one entry point of kShaders with d3dcompiler_47 (Wine's builtin under Wine), loaded at run time so a
// missing compiler is a clear message rather than a loader error.
Com<ID3DBlob> compile(D3DCompileFn d3d_compile, const char* entry, const char* target) {
    Com<ID3DBlob> code, errors;
    HRESULT hr = d3d_compile(kShaders, sizeof(kShaders) - 1, "d3d11_triangle.hlsl", nullptr, nullptr, entry, target,
                             D3DCOMPILE_OPTIMIZATION_LEVEL3, 0, &code, &errors);
    if (FAILED(hr)) {
        std::fprintf(stderr, "d3d11_triangle: D3DCompile(%s, %s) failed (HRESULT 0x%08lx)%s%.*s\n", entry, target,
                     static_cast<unsigned long>(hr), errors ? ":\n" : "",
                     errors ? static_cast<int>(errors->GetBufferSize()) : 0,
                     errors ? static_cast<const char*>(errors->GetBufferPointer()) : "");
        std::exit(1);
    }
    return code;
}

bool write_ppm(const char* path, const uint8_t* rgba, UINT row_pitch) {
    FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    std::fprintf(f, "P6\n%u %u\n255\n", kSize, kSize);
    std::vector<uint8_t> row(kSize * 3);
    for (UINT y = 0; y < kSize; y++) {
        const uint8_t* src = rgba + static_cast<size_t>(y) * row_pitch;
        for (UINT x = 0; x < kSize; x++) std::memcpy(&row[x * 3], &src[x * 4], 3);
        std::fwrite(row.data(), 1, row.size(), f);
    }
    return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "hold") != 0)) {
        std::fprintf(stderr, "usage: d3d11_triangle.exe OUT.ppm [FRAMES [hold]]\n");
        return 2;
    }
    const char* out_path = argv[1];
    int frames = argc > 2 ? std::atoi(argv[2]) : 8;
    if (frames < 1) frames = 1;
    const bool hold = argc == 4;

    HMODULE compiler = LoadLibraryA("d3dcompiler_47.dll");
    if (!compiler) fail("LoadLibrary(d3dcompiler_47.dll)", HRESULT_FROM_WIN32(GetLastError()));
    auto d3d_compile = reinterpret_cast<D3DCompileFn>(reinterpret_cast<void*>(GetProcAddress(compiler, "D3DCompile")));
    if (!d3d_compile) fail("GetProcAddress(D3DCompile)", HRESULT_FROM_WIN32(GetLastError()));

    HWND hwnd = create_window();

    DXGI_SWAP_CHAIN_DESC sd = {};
    sd.BufferDesc.Width = kSize;
    sd.BufferDesc.Height = kSize;
    sd.BufferDesc.Format = DXGI_FORMAT_R8G8B8A8_UNORM;
    sd.BufferDesc.RefreshRate = {60, 1};
    sd.SampleDesc.Count = 1;
    sd.BufferUsage = DXGI_USAGE_RENDER_TARGET_OUTPUT;
    sd.BufferCount = 2;
    sd.OutputWindow = hwnd;
    sd.Windowed = TRUE;
    sd.SwapEffect = DXGI_SWAP_EFFECT_FLIP_DISCARD;
    Com<IDXGISwapChain> swapchain;
    Com<ID3D11Device> device;
    Com<ID3D11DeviceContext> ctx;
    D3D_FEATURE_LEVEL level = D3D_FEATURE_LEVEL_11_0;
    D3D_FEATURE_LEVEL got = {};
    check(D3D11CreateDeviceAndSwapChain(nullptr, D3D_DRIVER_TYPE_HARDWARE, nullptr, 0, &level, 1, D3D11_SDK_VERSION,
                                        &sd, &swapchain, &device, &got, &ctx),
          "D3D11CreateDeviceAndSwapChain");

    // The adapter's name (DXVK's: the Vulkan device's), for the test's log.
    {
        Com<IDXGIDevice> dxgi_device;
        Com<IDXGIAdapter> adapter;
        DXGI_ADAPTER_DESC desc = {};
        if (SUCCEEDED(device->QueryInterface(__uuidof(IDXGIDevice), reinterpret_cast<void**>(&dxgi_device))) &&
            SUCCEEDED(dxgi_device->GetAdapter(&adapter)) && SUCCEEDED(adapter->GetDesc(&desc)))
            std::printf("adapter: %ls\n", desc.Description);
    }

    Com<ID3DBlob> vs_code = compile(d3d_compile, "vs_main", "vs_4_0");
    Com<ID3DBlob> ps_code = compile(d3d_compile, "ps_main", "ps_4_0");
    Com<ID3D11VertexShader> vs;
    Com<ID3D11PixelShader> ps;
    check(device->CreateVertexShader(vs_code->GetBufferPointer(), vs_code->GetBufferSize(), nullptr, &vs),
          "CreateVertexShader");
    check(device->CreatePixelShader(ps_code->GetBufferPointer(), ps_code->GetBufferSize(), nullptr, &ps),
          "CreatePixelShader");

    const D3D11_INPUT_ELEMENT_DESC layout[] = {
        {"POSITION", 0, DXGI_FORMAT_R32G32_FLOAT, 0, offsetof(Vertex, x), D3D11_INPUT_PER_VERTEX_DATA, 0},
        {"COLOR", 0, DXGI_FORMAT_R32G32B32A32_FLOAT, 0, offsetof(Vertex, r), D3D11_INPUT_PER_VERTEX_DATA, 0},
        {"TEXCOORD", 0, DXGI_FORMAT_R32G32_FLOAT, 0, offsetof(Vertex, u), D3D11_INPUT_PER_VERTEX_DATA, 0},
    };
    Com<ID3D11InputLayout> input_layout;
    check(device->CreateInputLayout(layout, 3, vs_code->GetBufferPointer(), vs_code->GetBufferSize(), &input_layout),
          "CreateInputLayout");

    // A triangle (vertices 0-2) and a quad as two triangles (vertices 3-8).
    const Vertex vertices[] = {
        {0.0f, 0.8f, 1, 0, 0, 1, 0.5f, 0},     {0.7f, -0.5f, 0, 1, 0, 1, 1, 1},  {-0.7f, -0.5f, 0, 0, 1, 1, 0, 1},
        {-0.5f, -0.5f, 1, 1, 1, 1, 0, 1},      {-0.5f, 0.5f, 1, 1, 0, 1, 0, 0},  {0.5f, 0.5f, 0, 1, 1, 1, 1, 0},
        {-0.5f, -0.5f, 1, 1, 1, 1, 0, 1},      {0.5f, 0.5f, 0, 1, 1, 1, 1, 0},   {0.5f, -0.5f, 1, 0, 1, 1, 1, 1},
    };
    D3D11_BUFFER_DESC vbd = {sizeof(vertices), D3D11_USAGE_IMMUTABLE, D3D11_BIND_VERTEX_BUFFER, 0, 0, 0};
    D3D11_SUBRESOURCE_DATA vinit = {vertices, 0, 0};
    Com<ID3D11Buffer> vertex_buffer;
    check(device->CreateBuffer(&vbd, &vinit, &vertex_buffer), "CreateBuffer(vertices)");

    D3D11_BUFFER_DESC cbd = {sizeof(DrawConstants), D3D11_USAGE_DYNAMIC, D3D11_BIND_CONSTANT_BUFFER,
                             D3D11_CPU_ACCESS_WRITE, 0, 0};
    Com<ID3D11Buffer> constants;
    check(device->CreateBuffer(&cbd, nullptr, &constants), "CreateBuffer(constants)");

    // An 8x8 checker of two greys with a coloured border texel row, point-sampled.
    constexpr UINT kTex = 8;
    uint32_t texels[kTex * kTex];
    for (UINT y = 0; y < kTex; y++)
        for (UINT x = 0; x < kTex; x++)
            texels[y * kTex + x] = y == 0 ? 0xff40c0ffu : ((x ^ y) & 1) ? 0xffffffffu : 0xff808080u;
    D3D11_TEXTURE2D_DESC td = {};
    td.Width = kTex;
    td.Height = kTex;
    td.MipLevels = 1;
    td.ArraySize = 1;
    td.Format = DXGI_FORMAT_R8G8B8A8_UNORM;
    td.SampleDesc.Count = 1;
    td.Usage = D3D11_USAGE_DEFAULT;
    td.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    Com<ID3D11Texture2D> texture;
    check(device->CreateTexture2D(&td, nullptr, &texture), "CreateTexture2D(checker)");
    ctx->UpdateSubresource(texture, 0, nullptr, texels, kTex * 4, 0);
    Com<ID3D11ShaderResourceView> texture_view;
    check(device->CreateShaderResourceView(texture, nullptr, &texture_view), "CreateShaderResourceView");

    D3D11_SAMPLER_DESC smp = {};
    smp.Filter = D3D11_FILTER_MIN_MAG_MIP_POINT;
    smp.AddressU = smp.AddressV = smp.AddressW = D3D11_TEXTURE_ADDRESS_WRAP;
    smp.MaxLOD = D3D11_FLOAT32_MAX;
    smp.ComparisonFunc = D3D11_COMPARISON_NEVER;
    Com<ID3D11SamplerState> sampler;
    check(device->CreateSamplerState(&smp, &sampler), "CreateSamplerState");

    Com<ID3D11Texture2D> back_buffer;
    check(swapchain->GetBuffer(0, __uuidof(ID3D11Texture2D), reinterpret_cast<void**>(&back_buffer)),
          "IDXGISwapChain::GetBuffer");
    Com<ID3D11RenderTargetView> rtv;
    check(device->CreateRenderTargetView(back_buffer, nullptr, &rtv), "CreateRenderTargetView");

    D3D11_TEXTURE2D_DESC bd = {};
    back_buffer->GetDesc(&bd);
    D3D11_TEXTURE2D_DESC stage_desc = bd;
    stage_desc.Usage = D3D11_USAGE_STAGING;
    stage_desc.BindFlags = 0;
    stage_desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    stage_desc.MiscFlags = 0;
    Com<ID3D11Texture2D> staging;
    check(device->CreateTexture2D(&stage_desc, nullptr, &staging), "CreateTexture2D(staging)");

    UINT stride = sizeof(Vertex), offset = 0;
    D3D11_VIEWPORT vp = {0, 0, static_cast<float>(kSize), static_cast<float>(kSize), 0, 1};
    for (int frame = 0; frame < frames; frame++) {
        pump_messages();
        // With FLIP_DISCARD the back buffer must be bound again every frame.
        ctx->OMSetRenderTargets(1, &rtv.p, nullptr);
        const float clear[4] = {0.1f, 0.12f + 0.02f * static_cast<float>(frame % 4), 0.2f, 1.0f};
        ctx->ClearRenderTargetView(rtv, clear);
        ctx->RSSetViewports(1, &vp);
        ctx->IASetInputLayout(input_layout);
        ctx->IASetPrimitiveTopology(D3D11_PRIMITIVE_TOPOLOGY_TRIANGLELIST);
        ctx->IASetVertexBuffers(0, 1, &vertex_buffer.p, &stride, &offset);
        ctx->VSSetShader(vs, nullptr, 0);
        ctx->VSSetConstantBuffers(0, 1, &constants.p);
        ctx->PSSetShader(ps, nullptr, 0);
        ctx->PSSetConstantBuffers(0, 1, &constants.p);
        ctx->PSSetShaderResources(0, 1, &texture_view.p);
        ctx->PSSetSamplers(0, 1, &sampler.p);
        // Three draws: a textured quad, then two triangles turning in opposite directions.
        struct Draw { UINT first, count; float angle, scale, x, y, tint[4]; };
        const float t = 0.15f * static_cast<float>(frame);
        const Draw draws[] = {
            {3, 6, 0.3f * t, 1.2f, 0.0f, 0.0f, {0.9f, 0.9f, 0.9f, 1}},
            {0, 3, t, 0.6f, -0.35f, 0.3f, {1, 1, 1, 1}},
            {0, 3, -t, 0.5f, 0.4f, -0.3f, {1, 0.6f, 0.3f, 1}},
        };
        for (const Draw& d : draws) {
            D3D11_MAPPED_SUBRESOURCE m;
            check(ctx->Map(constants, 0, D3D11_MAP_WRITE_DISCARD, 0, &m), "Map(constants)");
            DrawConstants c = {{std::cos(d.angle), std::sin(d.angle), d.scale, 0}, {d.x, d.y, 0, 0},
                               {d.tint[0], d.tint[1], d.tint[2], d.tint[3]}};
            std::memcpy(m.pData, &c, sizeof(c));
            ctx->Unmap(constants, 0);
            ctx->Draw(d.count, d.first);
        }
        // The last frame is read back before it is presented (after Present a flip-model back buffer's contents
        // are undefined).
        if (frame == frames - 1) ctx->CopyResource(staging, back_buffer);
        check(swapchain->Present(1, 0), "IDXGISwapChain::Present");
    }

    D3D11_MAPPED_SUBRESOURCE mapped;
    check(ctx->Map(staging, 0, D3D11_MAP_READ, 0, &mapped), "Map(staging)");
    bool written = write_ppm(out_path, static_cast<const uint8_t*>(mapped.pData), mapped.RowPitch);
    ctx->Unmap(staging, 0);
    if (!written) {
        std::fprintf(stderr, "d3d11_triangle: cannot write %s\n", out_path);
        return 1;
    }
    std::printf("d3d11_triangle: %d frames, %ux%u written to %s\n", frames, kSize, kSize, out_path);
    if (hold) {
        pump_messages();
        POINT origin = {0, 0};
        ClientToScreen(hwnd, &origin);
        std::printf("holding: client origin %ld %ld\n", static_cast<long>(origin.x), static_cast<long>(origin.y));
        std::fflush(stdout);
        char buf[64];
        DWORD got_bytes = 0;
        HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
        while (ReadFile(in, buf, sizeof(buf), &got_bytes, nullptr) && got_bytes > 0) {
        }
    }
    ctx->ClearState();
    DestroyWindow(hwnd);
    return 0;
}
