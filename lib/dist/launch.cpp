// What does not need MPI's headers: whether MPI started this process, and the stand-ins for a
// build without MPI.
#include <cstdlib>
#include <stdexcept>

#include "signsnet/distributed.hpp"

namespace signsnet {

bool launched_by_mpi() {
  // Open MPI's mpirun, and the PMI / PMIx process managers (MPICH's mpiexec, Slurm's srun).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

#ifndef SIGNSNET_HAVE_MPI
bool mpi_available() {
  return false;
}

std::unique_ptr<Communicator> mpi_world(int*, char***) {
  throw std::runtime_error(
      "mpi: this signsnet was built without MPI (configure with -DSIGNSNET_MPI=ON and "
      "libopenmpi-dev installed)");
}
#endif

}  // namespace signsnet
