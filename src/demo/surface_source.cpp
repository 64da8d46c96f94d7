#include "surface_source.h"

#include "headless_surface.h"
#include "xcb_window.h"

#include <stdexcept>

namespace anarchy::demo {

std::unique_ptr<SurfaceSource> make_surface_source(Presentation presentation, VkExtent2D extent) {
    switch (presentation) {
        case Presentation::Window:
            return std::make_unique<XcbWindow>(extent, "Anarchy demo");
        case Presentation::Headless:
            return std::make_unique<HeadlessSurface>(extent);
        case Presentation::None:
            break;
    }
    throw std::logic_error("--present none has no surface");
}

}  // namespace anarchy::demo
