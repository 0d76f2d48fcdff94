# ctest layering_includes: no file under monitors/ or actions/ includes
# anything from service/, metrics/ or ctl/, in any spelling ("service/x.hpp",
# "../service/x.hpp", <service/x.hpp>). The libraries' restricted include
# roots make the plain spelling a compile error; this also catches the
# relative one, which a compiler resolves next to the including file.
# Usage: cmake -DSOURCE_DIR=<tree> -P check_layering.cmake
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "SOURCE_DIR not set")
endif()
set(bad "")
foreach(dir monitors actions)
  file(GLOB files "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "[\"</](service|metrics|ctl)/")
        file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
        string(APPEND bad "  ${rel}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "monitors/ and actions/ must not include service/, metrics/ or ctl/ "
                      "(move the settings into the module and let service/ fill them):\n${bad}")
endif()
message(STATUS "layering: monitors/ and actions/ include nothing from service/, metrics/ or ctl/")
