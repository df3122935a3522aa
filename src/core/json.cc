// Boost.JSON and Boost.URL are used header-only: their implementations are compiled once, here.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
