// Placeholder until this suite lands.
#include "gtest/gtest.h"
