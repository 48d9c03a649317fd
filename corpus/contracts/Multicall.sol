// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Batches calls; the callee sees the batcher as msg.sender.
contract Multicall {
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    event Batch(address indexed by, uint256 calls, uint256 failed);

    /// Every call must succeed.
    function aggregate(Call[] calldata calls) external payable returns (bytes[] memory results) {
        results = new bytes[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
            results[i] = ret;
        }
        emit Batch(msg.sender, calls.length, 0);
    }

    /// Failures are reported instead of reverting the batch.
    function tryAggregate(Call[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        uint256 failed;
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            results[i] = Result(ok, ret);
            if (!ok) failed++;
        }
        emit Batch(msg.sender, calls.length, failed);
    }

    receive() external payable {}
}
