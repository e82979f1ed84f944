"""Hydrogen supply and station operations: the tube-trailer supply plan (HiGHS MILP) and a
SimPy simulation of stations, their storage, compressors, trailers and the trucks they serve."""
