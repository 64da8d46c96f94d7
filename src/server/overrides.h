// Hand-written server hooks for the commands overrides.json lists under "server".
#pragma once

#include "server_overrides_autogen.h"
