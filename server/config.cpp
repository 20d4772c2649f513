// placeholder replaced by config.cpp
